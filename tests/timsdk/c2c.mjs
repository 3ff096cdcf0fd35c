// The C2C contract scenario (tests/test_timsdk_c2c.py): alice and bob on Tencent's SDK.
import { run, userOf } from './sdk.mjs';

const HISTORY = 18; // messages alice sends for the history pages (15 a page)

run(async (config, record) => {
  const alice = userOf(config, 'alice');
  const bob = userOf(config, 'bob');
  const TIM = alice.TIM;
  const C2C = TIM.TYPES.CONV_C2C;

  record('aliceLogin', (await alice.login()).code);
  record('bobLogin', (await bob.login()).code);
  const before = await alice.tim.getConversationList();
  record('aliceConversationsBefore', before.data.conversationList.map((c) => c.conversationID));

  // Text, alice → bob.
  const text = alice.tim.createTextMessage({ to: 'bob', conversationType: C2C, payload: { text: '你好 bob' } });
  const sent = await alice.tim.sendMessage(text);
  record('textSent', { code: sent.code, ID: sent.data.message.ID, status: sent.data.message.status });
  const [got] = await bob.next(TIM.EVENT.MESSAGE_RECEIVED);
  record('textReceived', {
    ID: got.ID, from: got.from, to: got.to, flow: got.flow, type: got.type, text: got.payload.text,
    nick: got.nick, conversationID: got.conversationID,
  });
  await bob.next(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (n) => n === 1);
  const bobProfile = await bob.tim.getConversationProfile('C2Calice');
  record('bobUnreadAfterText', bobProfile.data.conversation.unreadCount);

  // Custom, bob → alice.
  const custom = bob.tim.createCustomMessage({
    to: 'alice', conversationType: C2C,
    payload: { data: '{"order":42}', description: 'an order', extension: 'ext' },
  });
  const customSent = await bob.tim.sendMessage(custom);
  record('customSent', { code: customSent.code, ID: customSent.data.message.ID });
  const [gotCustom] = await alice.next(TIM.EVENT.MESSAGE_RECEIVED);
  record('customReceived', {
    ID: gotCustom.ID, type: gotCustom.type, payload: gotCustom.payload, from: gotCustom.from,
  });

  // History: alice sends more; a new instance of bob pages through all of it.
  for (let i = 1; i <= HISTORY; i += 1) {
    const message = alice.tim.createTextMessage({ to: 'bob', conversationType: C2C, payload: { text: `m${i}` } });
    await alice.tim.sendMessage(message);
  }
  await bob.next(TIM.EVENT.MESSAGE_RECEIVED, (list) => list.some((m) => m.payload.text === `m${HISTORY}`));
  const bob2 = userOf(config, 'bob');
  await bob2.login();
  // C2C unread counts come with the unread sync (openim.getmsg), after SDK_READY.
  await bob2.next(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (n) => n === HISTORY + 1);
  const listed = (await bob2.tim.getConversationList()).data.conversationList;
  const withAlice = listed.find((c) => c.conversationID === 'C2Calice');
  record('bob2Conversation', {
    unreadCount: withAlice.unreadCount,
    lastText: withAlice.lastMessage.payload.text,
    peerNick: withAlice.userProfile.nick,
  });
  const first = await bob2.tim.getMessageList({ conversationID: 'C2Calice' });
  const second = await bob2.tim.getMessageList({
    conversationID: 'C2Calice', nextReqMessageID: first.data.nextReqMessageID,
  });
  const texts = (page) => page.data.messageList.map((m) => m.payload.text ?? m.payload.data);
  record('historyPages', [
    { texts: texts(first), isCompleted: first.data.isCompleted },
    { texts: texts(second), isCompleted: second.data.isCompleted },
  ]);
  record('historyFlows', [...first.data.messageList, ...second.data.messageList].map((m) => m.flow));

  // Read: bob (first instance) reads; his other instance and alice hear of it.
  const read = await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
  record('readCode', read.code);
  record('bobUnreadAfterRead',
    (await bob.tim.getConversationProfile('C2Calice')).data.conversation.unreadCount);
  await bob2.next(TIM.EVENT.CONVERSATION_LIST_UPDATED,
    (list) => list.some((c) => c.conversationID === 'C2Calice' && c.unreadCount === 0));
  record('bob2UnreadAfterRead', 0);
  const peerRead = await alice.next(TIM.EVENT.MESSAGE_READ_BY_PEER);
  record('alicePeerRead', peerRead.map((m) => m.ID).includes(sent.data.message.ID)
    || peerRead.length > 0);

  // Recall: alice recalls her last message; bob's instances see it recalled.
  const last = alice.tim.createTextMessage({ to: 'bob', conversationType: C2C, payload: { text: 'oops' } });
  const lastSent = await alice.tim.sendMessage(last);
  await bob.next(TIM.EVENT.MESSAGE_RECEIVED, (list) => list.some((m) => m.payload.text === 'oops'));
  const revoked = await alice.tim.revokeMessage(lastSent.data.message);
  record('revoke', { code: revoked.code, isRevoked: revoked.data.message.isRevoked });
  const bobRevoked = await bob.next(TIM.EVENT.MESSAGE_REVOKED);
  record('bobRevoked', bobRevoked.map((m) => ({ ID: m.ID, isRevoked: m.isRevoked })));
  record('oopsID', lastSent.data.message.ID);

  for (const user of [alice, bob, bob2]) await user.tim.logout();
});
