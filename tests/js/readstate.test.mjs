// C2C read marks and online-only messages: readstate.js alone, then the facade against
// a fake server (the push marks held messages and the last message; a conversation list
// after a reconnect makes up a lost push; online-only messages are news once and count
// for nothing).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {PeerReads, isOnlineOnly, peerReadSequenceOf} from '../../static/im/tim/readstate.js';
import {Message} from '../../static/im/tim/message.js';
import {FakeServer, readyTIM, settle} from './fakeserver.mjs';
import TIM from '../../static/im/tim.js';

let appID = 1400000600;

const mine = (sequence, extra = {}) =>
  new Message({
    ID: `a-${sequence}`,
    conversationID: 'C2Cbob',
    conversationType: 'C2C',
    from: 'alice',
    flow: 'out',
    status: 'success',
    sequence,
    ...extra,
  });

test('a read mark only grows, and only for C2C conversations', () => {
  const reads = new PeerReads();
  assert.equal(reads.get('C2Cbob'), 0);
  assert.equal(reads.advance('C2Cbob', 3), true);
  assert.equal(reads.advance('C2Cbob', 3), false);
  assert.equal(reads.advance('C2Cbob', 2), false);
  assert.equal(reads.get('C2Cbob'), 3);
  assert.equal(reads.advance('GROUPg1', 5), false);
  assert.equal(reads.advance('C2Cbob', '9'), false);
  reads.clear();
  assert.equal(reads.get('C2Cbob'), 0);
});

test('settle marks only our sent, stored C2C messages the mark covers', () => {
  const reads = new PeerReads();
  reads.advance('C2Cbob', 2);
  const covered = mine(1);
  const edge = mine(2);
  const later = mine(3);
  const theirs = mine(1, {ID: 'b-1', from: 'bob', flow: 'in'});
  const failed = mine(0, {ID: 'a-x', status: 'fail'});
  const typing = mine(0, {ID: 'a-t', onlineOnlyFlag: true});
  const changed = reads.settle([covered, edge, later, theirs, failed, typing]);
  assert.deepEqual(changed, [covered, edge]);
  assert.deepEqual(
    [covered, edge, later, theirs, failed, typing].map((m) => m.isPeerRead),
    [true, true, false, false, false, false],
  );
  assert.deepEqual(reads.settle([covered, edge]), [], 'already marked: not news again');
});

test('online-only and read marks of server objects', () => {
  assert.equal(isOnlineOnly({onlineOnlyFlag: true}), true);
  assert.equal(isOnlineOnly({onlineOnlyFlag: 'yes'}), false);
  assert.equal(isOnlineOnly(undefined), false);
  assert.equal(peerReadSequenceOf({type: 'C2C', peerReadSequence: 4}), 4);
  assert.equal(peerReadSequenceOf({type: 'C2C', peerReadSequence: 0}), null);
  assert.equal(peerReadSequenceOf({type: 'GROUP', peerReadSequence: 4}), null);
  assert.equal(peerReadSequenceOf({type: 'C2C'}), null);
});

/** One of alice's messages to bob as the server sends it. */
function wire(sequence, extra = {}) {
  return {
    ID: `7-${sequence}`,
    type: 'TIMTextElem',
    payload: {text: `#${sequence}`},
    conversationID: 'C2Cbob',
    conversationType: 'C2C',
    to: 'bob',
    from: 'alice',
    flow: 'out',
    time: 1000 + sequence,
    status: 'success',
    sequence,
    random: sequence,
    clientTime: 1000 + sequence,
    isPeerRead: false,
    onlineOnlyFlag: false,
    changeSequence: sequence,
    ...extra,
  };
}

function conversation(lastSequence, peerReadSequence, extra = {}) {
  return {
    conversationID: 'C2Cbob',
    type: 'C2C',
    unreadCount: 0,
    lastMessage: {
      lastTime: 1000 + lastSequence,
      lastSequence,
      fromAccount: 'alice',
      messageForShow: `#${lastSequence}`,
      type: 'TIMTextElem',
      payload: {},
      isPeerRead: lastSequence <= peerReadSequence,
    },
    userProfile: {userID: 'bob', nick: 'Bob'},
    peerReadSequence,
    changeSequence: lastSequence,
    ...extra,
  };
}

async function aliceWithHistory(server, count = 3) {
  server.handlers.getMessageList = () => ({
    messageList: Array.from({length: count}, (_, i) => wire(i + 1)),
    nextReqMessageID: '',
    isCompleted: true,
  });
  server.handlers.getConversationList = () => ({
    conversationList: [conversation(count, 0)],
    isSyncCompleted: true,
  });
  const sdk = await readyTIM(appID++);
  const page = await sdk.tim.getMessageList({conversationID: 'C2Cbob'});
  return {...sdk, held: page.data.messageList};
}

test('MESSAGE_READ_BY_PEER marks the held messages it covers, once', async () => {
  const server = new FakeServer();
  const {tim, named, held} = await aliceWithHistory(server);
  server.push('MESSAGE_READ_BY_PEER', {conversationID: 'C2Cbob', peerReadSequence: 2});
  let events = named(TIM.EVENT.MESSAGE_READ_BY_PEER);
  assert.equal(events.length, 1);
  assert.deepEqual(events[0].data, held.slice(0, 2), 'the page\'s own objects');
  assert.deepEqual(held.map((m) => m.isPeerRead), [true, true, false]);

  // The same mark again, or an older one: nothing new.
  server.push('MESSAGE_READ_BY_PEER', {conversationID: 'C2Cbob', peerReadSequence: 2});
  server.push('MESSAGE_READ_BY_PEER', {conversationID: 'C2Cbob', peerReadSequence: 1});
  assert.equal(named(TIM.EVENT.MESSAGE_READ_BY_PEER).length, 1);

  server.push('MESSAGE_READ_BY_PEER', {conversationID: 'C2Cbob', peerReadSequence: 3});
  events = named(TIM.EVENT.MESSAGE_READ_BY_PEER);
  assert.deepEqual(events.at(-1).data, [held[2]]);
  await settle(300);
  const [listed] = (await tim.getConversationList()).data.conversationList;
  assert.equal(listed.lastMessage.isPeerRead, true);
  // A page fetched again (the server said false before the read) does not undo it.
  await tim.getMessageList({conversationID: 'C2Cbob'});
  assert.deepEqual(held.map((m) => m.isPeerRead), [true, true, true]);
  await tim.destroy();
});

test('a lost push is made up by the next conversation list', async () => {
  const server = new FakeServer();
  const {tim, named, held} = await aliceWithHistory(server);
  server.handlers.getConversationList = () => ({
    conversationList: [conversation(3, 3)],
    isSyncCompleted: true,
  });
  server.socket.close(1006); // the read push is lost while away
  await settle(1500);
  assert.deepEqual(held.map((m) => m.isPeerRead), [true, true, true]);
  assert.deepEqual(named(TIM.EVENT.MESSAGE_READ_BY_PEER).at(-1).data, held);
  await tim.destroy();
});

test('a sent message the peer read later, and one sent after a read', async () => {
  const server = new FakeServer();
  server.handlers.sendMessage = (data) => ({message: wire(4, {random: data.random})});
  const {tim, named} = await aliceWithHistory(server);
  server.push('MESSAGE_READ_BY_PEER', {conversationID: 'C2Cbob', peerReadSequence: 3});
  const message = tim.createTextMessage({to: 'bob', conversationType: 'C2C', payload: {text: 'hi'}});
  await tim.sendMessage(message);
  assert.equal(message.isPeerRead, false);
  server.push('MESSAGE_READ_BY_PEER', {conversationID: 'C2Cbob', peerReadSequence: 4});
  assert.deepEqual(named(TIM.EVENT.MESSAGE_READ_BY_PEER).at(-1).data, [message]);
  assert.equal(message.isPeerRead, true);
  await tim.destroy();
});

test('onlineUserOnly: sent with the flag, answered, kept nowhere', async () => {
  const server = new FakeServer();
  server.handlers.sendMessage = (data) => ({
    message: wire(0, {ID: '7-t', type: 'TIMCustomElem', payload: data.payload, onlineOnlyFlag: true, changeSequence: 0}),
  });
  const {tim} = await readyTIM(appID++);
  const typing = tim.createCustomMessage({
    to: 'bob',
    conversationType: 'C2C',
    payload: {data: JSON.stringify({businessID: 'user_typing_status', typingStatus: 1})},
  });
  const result = await tim.sendMessage(typing, {onlineUserOnly: true});
  assert.equal(result.data.message, typing);
  assert.equal(typing.status, 'success');
  assert.equal(server.sent('sendMessage')[0].onlineUserOnly, true);
  await settle(300);
  assert.deepEqual((await tim.getConversationList()).data.conversationList, []);
  assert.equal(tim.findMessage('7-t'), null);

  // An ordinary send carries no flag; a falsy option is an ordinary send.
  server.handlers.sendMessage = (data) => ({message: wire(1, {random: data.random})});
  const text = tim.createTextMessage({to: 'bob', conversationType: 'C2C', payload: {text: 'x'}});
  await tim.sendMessage(text, {onlineUserOnly: false});
  assert.equal('onlineUserOnly' in server.sent('sendMessage')[1], false);
  await tim.destroy();
});

test('onlineUserOnly fails at once while disconnected, and never waits in the outbox', async () => {
  const server = new FakeServer();
  const {tim} = await readyTIM(appID++);
  server.handlers.login = () => new Promise(() => {}); // reconnects hang
  server.socket.close(1006);
  await settle(10);
  const typing = tim.createCustomMessage({to: 'bob', conversationType: 'C2C', payload: {data: '{}'}});
  await assert.rejects(tim.sendMessage(typing, {onlineUserOnly: true}), (error) => {
    assert.equal(error.code, TIM.ERROR.REQUEST_FAILED);
    assert.equal(error.data.message, typing);
    return true;
  });
  assert.equal(typing.status, 'fail');
  assert.deepEqual(server.sent('sendMessage'), []);
  await tim.destroy();
});

test('a pushed online-only message is news once and counts for nothing', async () => {
  const server = new FakeServer();
  const {tim, named} = await readyTIM(appID++);
  const fields = {
    ...wire(0, {ID: '9-t', from: 'bob', to: 'alice', flow: 'in', changeSequence: 0}),
    type: 'TIMCustomElem',
    payload: {data: '{"businessID":"user_typing_status","typingStatus":1}'},
    onlineOnlyFlag: true,
  };
  server.push('MESSAGE_RECEIVED', [fields]);
  await settle(300);
  const received = named(TIM.EVENT.MESSAGE_RECEIVED);
  assert.equal(received.length, 1);
  assert.equal(received[0].data[0].flow, 'in');
  assert.equal(received[0].data[0].onlineOnlyFlag, true);
  assert.deepEqual((await tim.getConversationList()).data.conversationList, []);
  assert.equal(named(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED).length, 0);
  assert.equal(tim.findMessage('9-t'), null);
  assert.deepEqual(server.sent('getConversationProfile'), [], 'no conversation revealed');
  await tim.destroy();
});
