// @mentions in the SDK: createTextAtMessage, and a conversation's groupAtInfoList kept
// by pushes and reads as a fresh getConversationList would show it.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {FakeServer, readyTIM, settle} from './fakeserver.mjs';
import TIM from '../../static/im/tim.js';
import {ConversationList} from '../../static/im/tim/conversations.js';
import {Message} from '../../static/im/tim/message.js';
import {atInfoOf, cleanAtUserList, mergeAtInfo} from '../../static/im/tim/mentions.js';

const AT_ALL = TIM.TYPES.MSG_AT_ALL;
let appID = 1400000700;

function groupMessage(sequence, atUserList, fields = {}) {
  return new Message({
    ID: `bob-${sequence}`,
    conversationID: 'GROUPg1',
    conversationType: 'GROUP',
    type: 'TIMTextElem',
    payload: {text: `#${sequence}`},
    to: 'g1',
    from: 'bob',
    flow: 'in',
    sequence,
    time: 1000 + sequence,
    changeSequence: sequence,
    atUserList,
    ...fields,
  });
}

const info = (sequence, atType, from = 'bob') => ({
  from,
  groupID: 'g1',
  topicID: '',
  messageSequence: sequence,
  atTypeArray: [atType],
});

test('atInfoOf: @me, @all, both; nothing for others, one own message or C2C', () => {
  assert.deepEqual(atInfoOf(groupMessage(1, ['alice']), 'alice'), info(1, 1));
  assert.deepEqual(atInfoOf(groupMessage(2, [AT_ALL]), 'alice'), info(2, 2));
  assert.deepEqual(atInfoOf(groupMessage(3, ['alice', AT_ALL]), 'alice'), info(3, 3));
  assert.equal(atInfoOf(groupMessage(4, ['carol']), 'alice'), null);
  assert.equal(atInfoOf(groupMessage(5, [AT_ALL], {flow: 'out', from: 'alice'}), 'alice'), null);
  assert.equal(atInfoOf(groupMessage(6, ['alice'], {conversationType: 'C2C'}), 'alice'), null);
  assert.equal(atInfoOf(groupMessage(7, ['alice'], {changeSequence: 0}), 'alice'), null);
  assert.equal(atInfoOf(groupMessage(8, []), 'alice'), null);
});

test('cleanAtUserList: userIDs once each, at most 30, else what is wrong', () => {
  assert.deepEqual(cleanAtUserList(['bob', AT_ALL, 'bob']), ['bob', AT_ALL]);
  assert.equal(typeof cleanAtUserList('bob'), 'string');
  assert.equal(typeof cleanAtUserList(['']), 'string');
  assert.equal(typeof cleanAtUserList([1]), 'string');
  assert.equal(typeof cleanAtUserList(Array.from({length: 31}, (_, i) => `u${i}`)), 'string');
});

test('mergeAtInfo adds only what came after the snapshot', () => {
  assert.deepEqual(mergeAtInfo([info(2, 1)], [info(2, 1), info(5, 2)], 4), [info(2, 1), info(5, 2)]);
  assert.deepEqual(mergeAtInfo([], [info(3, 1)], 4), []);
});

test('the list: pushes add mentions, a read clears them, a recall removes one', () => {
  const list = new ConversationList({
    incomingAfter: () => 0,
    onChange: () => {},
    selfID: () => 'alice',
  });
  list.noteMessages([groupMessage(1, ['alice']), groupMessage(2, ['carol']), groupMessage(3, [AT_ALL])]);
  assert.deepEqual(list.get('GROUPg1').groupAtInfoList, [info(1, 1), info(3, 2)]);
  list.noteRevoked([groupMessage(3, [AT_ALL], {isRevoked: true})]);
  assert.deepEqual(list.get('GROUPg1').groupAtInfoList, [info(1, 1)]);
  list.markRead('GROUPg1');
  assert.deepEqual(list.get('GROUPg1').groupAtInfoList, []);
});

test('createTextAtMessage: group only, a checked list, sent with the message', async () => {
  const server = new FakeServer();
  const {tim} = await readyTIM(appID++);
  const options = {to: 'g1', conversationType: 'GROUP', payload: {text: '@bob hi', atUserList: ['bob', 'bob']}};
  const message = tim.createTextAtMessage(options);
  assert.equal(message.type, TIM.TYPES.MSG_TEXT);
  assert.deepEqual(message.atUserList, ['bob']);
  assert.throws(() => tim.createTextAtMessage({...options, to: 'bob', conversationType: 'C2C'}));
  assert.throws(() => tim.createTextAtMessage({...options, payload: {text: 'x', atUserList: 'bob'}}));
  assert.throws(() => tim.createTextAtMessage({...options, payload: {text: '', atUserList: []}}));

  server.handlers.sendMessage = (data) => ({
    message: {...data, ID: message.ID, sequence: 4, changeSequence: 4, from: 'alice', flow: 'out'},
  });
  await tim.sendMessage(message);
  assert.deepEqual(server.sent('sendMessage')[0].atUserList, ['bob']);
  assert.deepEqual(server.sent('sendMessage')[0].payload, {text: '@bob hi'});
  // A plain text message sends no list.
  await tim.sendMessage(tim.createTextMessage({to: 'g1', conversationType: 'GROUP', payload: {text: 'x'}}));
  assert.equal('atUserList' in server.sent('sendMessage')[1], false);
  await tim.destroy();
});

test('a pushed mention shows in the list as a fresh read would, and setMessageRead clears it', async () => {
  const server = new FakeServer();
  const wire = (sequence, atUserList) => ({...groupMessage(sequence, atUserList), status: 'success'});
  const conversation = (unreadCount, lastSequence, groupAtInfoList) => ({
    conversationID: 'GROUPg1',
    type: 'GROUP',
    unreadCount,
    lastMessage: {lastSequence, lastTime: 1000 + lastSequence, fromAccount: 'bob', messageForShow: ''},
    groupProfile: {groupID: 'g1', name: 'Tea', type: 'Public', avatar: ''},
    groupAtInfoList,
    changeSequence: lastSequence,
  });
  server.handlers.getConversationList = () => ({
    conversationList: [conversation(1, 1, [])],
    isSyncCompleted: true,
  });
  server.handlers.getConversationProfile = () => ({conversation: conversation(1, 1, [])});
  const {tim} = await readyTIM(appID++);
  server.push('MESSAGE_RECEIVED', [wire(2, [AT_ALL, 'alice'])]);
  await settle(20);
  const held = (await tim.getConversationList()).data.conversationList;
  assert.deepEqual(held[0].groupAtInfoList, [info(2, 3)]);

  // The server, asked now, says the same.
  server.handlers.getConversationList = () => ({
    conversationList: [conversation(2, 2, [info(2, 3)])],
    isSyncCompleted: true,
  });
  const fresh = (await tim.getConversationList()).data.conversationList;
  assert.deepEqual(fresh[0].groupAtInfoList, held[0].groupAtInfoList);

  server.handlers.setMessageRead = () => {
    server.handlers.getConversationList = () => ({
      conversationList: [conversation(0, 2, [])],
      isSyncCompleted: true,
    });
    return {};
  };
  await tim.setMessageRead({conversationID: 'GROUPg1'});
  const read = (await tim.getConversationList()).data.conversationList;
  assert.deepEqual(read[0].groupAtInfoList, []);
  await tim.destroy();
});
