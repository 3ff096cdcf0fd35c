// Kick-outs as Tencent's SDK reports them (tests/test_timsdk_c2c.py): a second login of
// alice past the app's one instance (optionally on another server process), and a
// UserSig that expires while logged in.
import { run, userOf } from './sdk.mjs';

run(async (config, record) => {
  const [one, two] = config.proxyServers;

  const first = userOf(config, 'alice', { proxyServer: one });
  await first.login();
  const second = userOf(config, 'alice', { proxyServer: two });
  const kicked = first.next(first.TIM.EVENT.KICKED_OUT);
  await second.login();
  record('kickedType', (await kicked).type);
  record('kickedTypeExpected', first.TIM.TYPES.KICKED_OUT_MULT_ACCOUNT);
  record('secondStillWorks', (await second.tim.getConversationList()).code);
  const refused = await first.tim.getConversationList().then((r) => r.code, (e) => e.code);
  record('firstRefused', refused);

  if (config.shortSig) {
    const bob = userOf(config, 'bob', { proxyServer: one, userSig: config.shortSig });
    await bob.login();
    const expired = await bob.next(bob.TIM.EVENT.KICKED_OUT, () => true, 20000);
    record('expiredType', expired.type);
    record('expiredTypeExpected', bob.TIM.TYPES.KICKED_OUT_USERSIG_EXPIRED);
  }
  await second.tim.logout();
});
