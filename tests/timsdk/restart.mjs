// The server restarts under logged-in SDKs (tests/test_timsdk_c2c.py): each reconnects and
// logs in again by its A2 ticket alone, which the new process verifies, and they chat.
import { run, step, userOf } from './sdk.mjs';

run(async (config, record) => {
  const alice = userOf(config, 'alice');
  const bob = userOf(config, 'bob');
  const TIM = alice.TIM;
  await alice.login();
  await bob.login();
  const first = alice.tim.createTextMessage({
    to: 'bob', conversationType: TIM.TYPES.CONV_C2C, payload: { text: 'before' },
  });
  await alice.tim.sendMessage(first);
  await bob.next(TIM.EVENT.MESSAGE_RECEIVED);

  // The SDK asks for its purchase bits a second after login: let that be answered, so
  // nothing is in flight when the server goes.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await step('restart');
  const reconnected = (user) => user.next(TIM.EVENT.NET_STATE_CHANGE,
    (data) => data.state === TIM.TYPES.NET_STATE_CONNECTED, 30000);
  await Promise.all([reconnected(alice), reconnected(bob)]);
  record('reconnected', true);
  // The re-login (by a2 and tinyid) and its resync follow the reconnect; then a send.
  const after = alice.tim.createTextMessage({
    to: 'bob', conversationType: TIM.TYPES.CONV_C2C, payload: { text: 'after' },
  });
  let sent = null;
  for (let attempt = 0; attempt < 50 && !sent; attempt += 1) {
    sent = await alice.tim.sendMessage(after).catch(() => null);
    if (!sent) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  record('sentAfter', sent && sent.code);
  const [got] = await bob.next(TIM.EVENT.MESSAGE_RECEIVED, () => true, 15000);
  record('receivedAfter', { text: got.payload.text, ID: got.ID, sentID: sent.data.message.ID });
  record('kicked', [...alice.events, ...bob.events].some((e) => e.name === TIM.EVENT.KICKED_OUT));
  for (const user of [alice, bob]) await user.tim.logout();
});
