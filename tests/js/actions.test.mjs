// Message actions: the pure rules (tim/actions.js) and the facade's deleteMessage and
// createForwardMessage against a fake server, including that a MESSAGE_DELETED push
// leaves the SDK's state as the deleting connection's own answer does.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {FakeServer, readyTIM, settle} from './fakeserver.mjs';
import TIM from '../../static/im/tim.js';
import {Message} from '../../static/im/tim/message.js';
import {MAX_DELETE, abstractOf, deleteBatch, forwardSource, quoteOf, replyData} from '../../static/im/tim/actions.js';

let appID = 1400000900;

const text = (ID, conversationID = 'C2Cbob', fields = {}) =>
  new Message({ID, type: 'TIMTextElem', payload: {text: `text ${ID}`}, conversationID, from: 'bob', nick: 'Bob', ...fields});

function wire(sequence, from = 'bob') {
  return {
    ID: `${from}-${sequence}`,
    type: 'TIMTextElem',
    payload: {text: `#${sequence}`},
    conversationID: 'C2Cbob',
    conversationType: 'C2C',
    to: from === 'bob' ? 'alice' : 'bob',
    from,
    time: 1000 + sequence,
    status: 'success',
    sequence,
    random: sequence,
    clientTime: 1000 + sequence,
    cloudCustomData: '',
    changeSequence: sequence,
  };
}

const conversation = (last, unreadCount) => ({
  conversationID: 'C2Cbob',
  type: 'C2C',
  unreadCount,
  lastMessage: {lastTime: 1000 + last, lastSequence: last, fromAccount: 'bob', messageForShow: `#${last}`, type: 'TIMTextElem'},
  userProfile: {userID: 'bob', nick: 'Bob'},
  changeSequence: last,
});

test('deleteBatch: a non-empty list of one conversation, the first 30, no system notices', () => {
  assert.throws(() => deleteBatch([]), {code: 6017});
  assert.throws(() => deleteBatch('x'), {code: 6017});
  assert.throws(() => deleteBatch([{ID: 'x'}]), {code: 6017});
  assert.throws(() => deleteBatch([text('a'), text('b', 'C2Ccarol')]), {code: 6017});
  assert.throws(() => deleteBatch([text('n', '@TIM#SYSTEM')]), {code: 2116});
  const many = Array.from({length: 40}, (_, i) => text(`m${i}`));
  const batch = deleteBatch(many);
  assert.equal(batch.conversationID, 'C2Cbob');
  assert.equal(batch.messages.length, MAX_DELETE);
  assert.equal(batch.messages.at(-1).ID, 'm29');
  // A 31st message of another conversation is past the cut: not looked at.
  assert.equal(deleteBatch([...many.slice(0, 30), text('z', 'C2Ccarol')]).messages.length, 30);
});

test('forwardSource refuses tips and notices (2453), unsent and recalled messages', () => {
  assert.throws(() => forwardSource({type: 'TIMTextElem'}), {code: 6017});
  assert.throws(() => forwardSource(text('t', 'GROUPg', {type: 'TIMGroupTipElem'})), {code: 2453});
  assert.throws(() => forwardSource(text('n', '@TIM#SYSTEM', {type: 'TIMGroupSystemNoticeElem'})), {code: 2453});
  assert.throws(() => forwardSource(text('f', 'C2Cbob', {status: 'fail'})), {code: 6017});
  assert.throws(() => forwardSource(text('r', 'C2Cbob', {isRevoked: true})), {code: 6017});
  const ok = text('ok');
  assert.equal(forwardSource(ok), ok);
});

test('replyData writes TUIKit\'s messageReply and quoteOf reads it back', () => {
  const quoted = text('1-2-3', 'GROUPg', {nameCard: 'Bobby', payload: {text: 'x'.repeat(150)}});
  const data = JSON.parse(replyData(quoted));
  assert.deepEqual(Object.keys(data.messageReply).sort(), ['messageAbstract', 'messageID', 'messageSender', 'messageType', 'version']);
  assert.equal(data.messageReply.messageID, '1-2-3');
  assert.equal(data.messageReply.messageSender, 'Bobby');
  assert.equal(data.messageReply.messageType, 1);
  assert.equal(data.messageReply.version, 1);
  assert.equal(data.messageReply.messageAbstract, `${'x'.repeat(100)}…`);
  const image = text('i', 'C2Cbob', {type: 'TIMImageElem', payload: {}});
  assert.equal(JSON.parse(replyData(image, {abstract: '[Image]'})).messageReply.messageType, 3);
  assert.equal(abstractOf(image, '[Image]'), '[Image]');

  const reply = new Message({cloudCustomData: replyData(quoted)});
  assert.deepEqual(quoteOf(reply), {messageID: '1-2-3', messageAbstract: `${'x'.repeat(100)}…`, messageSender: 'Bobby'});
  for (const cloudCustomData of ['', 'messageReply', '{"messageReply": 1}', '{"messageReply": {"messageID": 1}}', '{"a": 1}']) {
    assert.equal(quoteOf(new Message({cloudCustomData})), null, cloudCustomData);
  }
});

/** C2Cbob as the SDK last announced it (CONVERSATION_LIST_UPDATED, throttled). */
async function announced(named) {
  await settle(250);
  return named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data.find((c) => c.conversationID === 'C2Cbob');
}

async function ready() {
  const server = new FakeServer();
  server.handlers.getConversationList = () => ({conversationList: [conversation(3, 1)], isSyncCompleted: true});
  server.handlers.getMessageList = () => ({messageList: [wire(1, 'alice'), wire(2), wire(3)], isCompleted: true});
  const {tim, named} = await readyTIM(appID++);
  const deleted = [];
  tim.on(TIM.HUTONG_EVENT.MESSAGE_DELETED, ({data}) => deleted.push(...data));
  const {data} = await tim.getMessageList({conversationID: 'C2Cbob'});
  return {server, tim, named, deleted, messages: data.messageList};
}

test('deleteMessage sends the IDs, resolves with the Messages marked deleted, updates the conversation', async () => {
  const {server, tim, messages, named} = await ready();
  server.handlers.deleteMessage = (data) => ({messageIDList: data.messageIDList, conversation: conversation(2, 0)});
  const answer = await tim.deleteMessage([messages[2]]);
  assert.equal(answer.code, 0);
  assert.deepEqual(answer.data.messageList, [messages[2]]);
  assert.equal(messages[2].isDeleted, true);
  assert.deepEqual(server.sent('deleteMessage'), [{conversationID: 'C2Cbob', messageIDList: ['bob-3']}]);
  assert.equal(tim.findMessage('bob-3'), null);
  const listed = await announced(named);
  assert.equal(listed.lastMessage.lastSequence, 2);
  assert.equal(listed.unreadCount, 0);
  // Refusals before anything is sent.
  const refused = await tim.deleteMessage([]).then(() => null, (e) => e);
  assert.equal(refused.code, 6017);
  assert.equal(server.sent('deleteMessage').length, 1);
  await tim.destroy();
});

test('a MESSAGE_DELETED push leaves the same state as deleting here, and is announced', async () => {
  const {server, tim, messages, deleted, named} = await ready();
  server.push('MESSAGE_DELETED', {conversationID: 'C2Cbob', messageIDList: ['bob-3', 'nope'], conversation: conversation(2, 0)});
  await settle(5);
  assert.deepEqual(deleted, [messages[2]]);
  assert.equal(messages[2].isDeleted, true);
  assert.equal(tim.findMessage('bob-3'), null);
  assert.notEqual(tim.findMessage('bob-2'), null);
  const listed = await announced(named);
  assert.equal(listed.lastMessage.lastSequence, 2);
  assert.equal(listed.unreadCount, 0);
  // Nothing held: nothing announced.
  server.push('MESSAGE_DELETED', {conversationID: 'C2Cbob', messageIDList: ['bob-3']});
  await settle(5);
  assert.equal(deleted.length, 1);
  await tim.destroy();
});

test('createForwardMessage copies type and payload and sends forwardFrom', async () => {
  const {server, tim, messages} = await ready();
  server.handlers.sendMessage = (data) => ({message: {...wire(9, 'alice'), conversationID: 'C2Ccarol', to: data.to}});
  const forward = tim.createForwardMessage({to: 'carol', conversationType: 'C2C', payload: messages[1]});
  assert.equal(forward.type, 'TIMTextElem');
  assert.deepEqual(forward.payload, messages[1].payload);
  assert.notEqual(forward.payload, messages[1].payload);
  assert.equal(forward.conversationID, 'C2Ccarol');
  await tim.sendMessage(forward);
  const [sent] = server.sent('sendMessage');
  assert.deepEqual(sent.forwardFrom, {conversationID: 'C2Cbob', ID: 'bob-2'});
  assert.equal(sent.to, 'carol');
  assert.throws(() => tim.createForwardMessage({to: 'carol', conversationType: 'C2C', payload: {}}), {code: 6017});
  const tip = new Message({...wire(4), type: 'TIMGroupTipElem'});
  assert.throws(() => tim.createForwardMessage({to: 'carol', conversationType: 'C2C', payload: tip}), {code: 2453});
  // A plain message sends no forwardFrom.
  await tim.sendMessage(tim.createTextMessage({to: 'carol', conversationType: 'C2C', payload: {text: 'hi'}}));
  assert.equal(server.sent('sendMessage')[1].forwardFrom, undefined);
  await tim.destroy();
});
