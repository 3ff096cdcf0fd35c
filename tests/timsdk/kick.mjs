// Kick-outs as Tencent's SDK reports them (tests/test_timsdk_c2c.py): a second login of
// alice past the app's one instance (optionally on another server process), and a
// UserSig that expires while logged in.
import { run, userOf } from './sdk.mjs';

run(async (config, record) => {
  const [one, two] = config.proxyServers;

  // bob's sig runs out while the kick below goes on: logged in first, so a slow start
  // (a busy machine) cannot use up its seconds before the login.
  const bob = config.shortSig &&
    userOf(config, 'bob', { proxyServer: one, userSig: config.shortSig });
  if (bob) await bob.login();

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

  if (bob) {
    const expired = await bob.next(bob.TIM.EVENT.KICKED_OUT, () => true, 30000);
    record('expiredType', expired.type);
    record('expiredTypeExpected', bob.TIM.TYPES.KICKED_OUT_USERSIG_EXPIRED);
  }
  await second.tim.logout();
});
