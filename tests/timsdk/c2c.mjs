// The C2C contract scenario (tests/test_timsdk_c2c.py): alice and bob on Tencent's SDK.
import { User, run } from './sdk.mjs';

run(async (config, record) => {
  const options = (userID) => ({
    SDKAppID: config.sdkappid, proxyServer: config.proxyServer, userSig: config.sigs[userID],
  });
  const alice = new User('alice', options('alice'));
  const bob = new User('bob', options('bob'));
  const TIM = alice.TIM;

  const login = await alice.login();
  record('aliceLogin', login.code);
  await bob.login();
  record('ready', true);

  const list = await alice.tim.getConversationList();
  record('aliceConversations', list.data.conversationList.map((c) => c.conversationID));
});
