// pinConversation and setMessageRemindType's C2C form, against a fake server: what goes
// on the wire, TIM's shapes back, and that pushes keep the conversation list true.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {FakeServer, readyTIM, serverError, settle} from './fakeserver.mjs';
import {newestFirst} from '../../static/im/tim/conversations.js';
import TIM from '../../static/im/tim.js';

let appID = 1400000300;

const c2c = (userID, lastTime, fields = {}) => ({
  conversationID: `C2C${userID}`,
  type: 'C2C',
  unreadCount: 1,
  lastMessage: {lastTime, lastSequence: 1, fromAccount: userID, messageForShow: 'hi', type: 'TIMTextElem', payload: {text: 'hi'}},
  userProfile: {userID, nick: userID, avatar: ''},
  isPinned: false,
  messageRemindType: '',
  changeSequence: 1,
  ...fields,
});

/** A ready SDK for alice over a fake server holding `conversations` (newest first). */
async function ready(conversations) {
  const server = new FakeServer();
  server.handlers.getConversationList = () => ({
    conversationList: structuredClone(conversations),
    isSyncCompleted: true,
  });
  return {server, ...(await readyTIM(appID++, 'ws://hutong.test/ws/im/'))};
}

const ids = (list) => list.map((c) => c.conversationID);

test('pinned conversations sort first, then the newest', () => {
  const ranks = new Map();
  const list = [c2c('a', 10), c2c('b', 5, {isPinned: true}), c2c('c', 20), c2c('d', 1, {isPinned: true})];
  assert.deepEqual(ids(list.sort(newestFirst(ranks))), ['C2Cb', 'C2Cd', 'C2Cc', 'C2Ca']);
});

test('pinConversation sends the wire\'s fields, re-sorts the list and announces it', async () => {
  const conversations = [c2c('carol', 9), c2c('bob', 5)];
  const {server, tim, named} = await ready(conversations);
  server.handlers.pinConversation = ({conversationID}) => ({conversationID});
  const before = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).length;
  const answer = await tim.pinConversation({conversationID: 'C2Cbob', isPinned: true});
  assert.deepEqual(answer, {code: 0, data: {conversationID: 'C2Cbob'}});
  assert.deepEqual(server.sent('pinConversation'), [{conversationID: 'C2Cbob', isPinned: true}]);
  await settle(250);
  const announced = named(TIM.EVENT.CONVERSATION_LIST_UPDATED);
  assert.equal(announced.length, before + 1);
  assert.deepEqual(ids(announced.at(-1).data), ['C2Cbob', 'C2Ccarol']);
  assert.equal(announced.at(-1).data[0].isPinned, true);
  // What the server holds now, fetched afresh, is what the SDK announced.
  conversations.reverse();
  conversations[0].isPinned = true;
  assert.deepEqual((await tim.getConversationList()).data.conversationList, announced.at(-1).data);
  await tim.destroy();
});

test('pinConversation checks its arguments; the server\'s refusal rejects and changes nothing', async () => {
  const {server, tim, named} = await ready([c2c('bob', 5)]);
  server.handlers.pinConversation = () => {
    throw serverError(6004, 'you have no conversation');
  };
  for (const bad of [undefined, 'C2Cbob', {conversationID: 'C2Cbob'}, {conversationID: '', isPinned: true}, {conversationID: 'C2Cbob', isPinned: 'yes'}]) {
    assert.throws(() => tim.pinConversation(bad), /Params validate failed/);
  }
  assert.equal(server.sent('pinConversation').length, 0);
  await assert.rejects(tim.pinConversation({conversationID: 'C2Cnobody', isPinned: true}), {code: 6004});
  await settle(250);
  assert.equal((await tim.getConversationList()).data.conversationList[0].isPinned, false);
  assert.equal(named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data[0].isPinned, false);
  await tim.destroy();
});

test('another tab\'s pin (CONVERSATION_UPDATED) moves the conversation to the top here', async () => {
  const {server, tim, named} = await ready([c2c('carol', 9), c2c('bob', 5)]);
  server.push('CONVERSATION_UPDATED', c2c('bob', 5, {isPinned: true}));
  await settle(250);
  const [first] = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data;
  assert.equal(first.conversationID, 'C2Cbob');
  assert.equal(first.isPinned, true);
  await tim.destroy();
});

test('setMessageRemindType\'s C2C form: first 30 userIDs, TIM\'s result, the total leaves the muted out', async () => {
  const {server, tim, named} = await ready([c2c('carol', 9, {unreadCount: 2}), c2c('bob', 5, {unreadCount: 3})]);
  server.handlers.setMessageRemindType = ({userIDList}) => ({
    successUserIDList: userIDList.filter((u) => u !== 'nobody').map((userID) => ({userID})),
    failureUserIDList: userIDList.includes('nobody') ? [{userID: 'nobody', code: 20003, message: 'no'}] : [],
  });
  assert.equal(tim.getTotalUnreadMessageCount(), 5);
  const many = ['bob', 'nobody', ...Array.from({length: 40}, (_, i) => `u${i}`)];
  const {code, data} = await tim.setMessageRemindType({userIDList: many, messageRemindType: TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE});
  assert.equal(code, 0);
  const [sent] = server.sent('setMessageRemindType');
  assert.equal(sent.userIDList.length, 30);
  assert.equal(sent.messageRemindType, 'AcceptNotNotify');
  assert.equal(sent.groupID, undefined);
  assert.deepEqual(data.failureUserIDList, [{userID: 'nobody', code: 20003, message: 'no'}]);
  assert.deepEqual(data.successUserIDList[0], {userID: 'bob'});
  assert.equal(tim.getTotalUnreadMessageCount(), 2);
  await settle(250);
  assert.equal(named(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED).at(-1).data, 2);
  const bob = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data.find((c) => c.conversationID === 'C2Cbob');
  assert.equal(bob.messageRemindType, 'AcceptNotNotify');
  assert.equal(bob.unreadCount, 3, 'still unread, just not counted');

  for (const bad of [
    {userIDList: [], messageRemindType: 'AcceptNotNotify'},
    {userIDList: 'bob', messageRemindType: 'AcceptNotNotify'},
    {userIDList: [''], messageRemindType: 'AcceptNotNotify'},
    {userIDList: ['bob'], messageRemindType: TIM.TYPES.MSG_REMIND_DISCARD},
  ]) {
    assert.throws(() => tim.setMessageRemindType(bad), /Params validate failed/);
  }
  await tim.destroy();
});

test('MESSAGE_REMIND_TYPE_UPDATED with a userID (another tab) mutes the C2C conversation here', async () => {
  const conversations = [c2c('carol', 9, {unreadCount: 2}), c2c('bob', 5, {unreadCount: 3})];
  const {server, tim, named} = await ready(conversations);
  server.push('MESSAGE_REMIND_TYPE_UPDATED', {userID: 'carol', messageRemindType: 'AcceptNotNotify'});
  server.push('MESSAGE_REMIND_TYPE_UPDATED', {userID: 'bob', messageRemindType: 'Discard'});
  await settle(250);
  assert.equal(tim.getTotalUnreadMessageCount(), 3);
  const pushed = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data;
  conversations[0].messageRemindType = 'AcceptNotNotify';
  assert.deepEqual((await tim.getConversationList()).data.conversationList, pushed);
  await tim.destroy();
});
