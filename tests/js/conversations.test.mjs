// Unread arithmetic and the order of the conversation list.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {ConversationList, makeConversation} from '../../static/im/tim/conversations.js';
import {MessageStore} from '../../static/im/tim/store.js';
import {Message} from '../../static/im/tim/message.js';

let nextID = 1;
function incoming(conversationID, sequence, fields = {}) {
  const type = conversationID.startsWith('GROUP') ? 'GROUP' : 'C2C';
  return new Message({
    ID: `m${nextID++}`,
    conversationID,
    conversationType: type,
    type: 'TIMTextElem',
    payload: {text: `#${sequence}`},
    from: 'bob',
    flow: 'in',
    sequence,
    time: 1000 + sequence,
    nick: 'Bob',
    avatar: 'bob.png',
    ...fields,
  });
}

const snapshot = (conversationID, unreadCount, lastSequence, lastTime = 1000 + lastSequence) => ({
  conversationID,
  type: conversationID.startsWith('GROUP') ? 'GROUP' : 'C2C',
  unreadCount,
  lastMessage: lastSequence
    ? {lastSequence, lastTime, fromAccount: 'bob', messageForShow: ''}
    : null,
});

function setup() {
  const store = new MessageStore();
  let changes = 0;
  const list = new ConversationList({
    incomingAfter: (id, sequence) => store.incomingAfter(id, sequence),
    onChange: () => changes++,
  });
  // The SDK adopts a pushed message into the store before the list notes it.
  const receive = (...messages) => {
    for (const m of messages) store.remember(m);
    return list.noteMessages(messages);
  };
  return {store, list, receive, changes: () => changes};
}

test("messages from others count as unread; one's own do not", () => {
  const {list, receive} = setup();
  const revealed = receive(incoming('C2Cbob', 1), incoming('C2Cbob', 2));
  assert.deepEqual(revealed, ['C2Cbob'], 'the new conversation is to be asked about, once');
  receive(incoming('C2Cbob', 3, {from: 'alice', flow: 'out'}));
  assert.equal(list.get('C2Cbob').unreadCount, 2);
  assert.equal(list.get('C2Cbob').lastMessage.lastSequence, 3);
  assert.equal(list.get('C2Cbob').lastMessage.messageForShow, '#3');
  assert.equal(list.totalUnread(), 2);
});

test('a message at or below the last known sequence is not counted again', () => {
  const {list, receive} = setup();
  list.replace([snapshot('C2Cbob', 4, 10)], list.stamp());
  receive(incoming('C2Cbob', 9), incoming('C2Cbob', 10));
  assert.equal(list.get('C2Cbob').unreadCount, 4);
  receive(incoming('C2Cbob', 11));
  assert.equal(list.get('C2Cbob').unreadCount, 5);
});

test('an incoming message brings its sender\'s nick and avatar to a C2C conversation', () => {
  const {list, receive} = setup();
  receive(incoming('C2Cbob', 1, {nick: 'Bobby', avatar: 'b2.png'}));
  const profile = {userID: 'bob', nick: 'Bobby', avatar: 'b2.png'};
  assert.deepEqual(list.get('C2Cbob').userProfile, profile);
});

test('reading zeroes the count at once and announces it; the total follows', () => {
  const {list, receive, changes} = setup();
  receive(incoming('C2Cbob', 1), incoming('GROUPg', 1), incoming('GROUPg', 2));
  assert.equal(list.takeTotalChange(), 3);
  assert.equal(list.takeTotalChange(), null, 'unchanged totals are not announced twice');
  const before = changes();
  list.markRead('GROUPg');
  assert.equal(changes(), before + 1);
  assert.equal(list.get('GROUPg').unreadCount, 0);
  assert.equal(list.takeTotalChange(), 1);
  list.markRead('GROUPg');
  assert.equal(changes(), before + 1, 'reading a read conversation changes nothing');
});

test('the system conversation does not count towards the total', () => {
  const {list} = setup();
  list.replace(
    [
      {
        conversationID: '@TIM#SYSTEM',
        type: '@TIM#SYSTEM',
        unreadCount: 5,
        lastMessage: {lastSequence: 1, lastTime: 1},
      },
      snapshot('C2Cbob', 2, 1),
    ],
    list.stamp(),
  );
  assert.equal(list.totalUnread(), 2);
});

test('a snapshot older than messages held here counts them on top', () => {
  const {list, receive} = setup();
  list.replace([snapshot('C2Cbob', 1, 5)], list.stamp());
  const stamp = list.stamp(); // a list request goes out...
  receive(incoming('C2Cbob', 6), incoming('C2Cbob', 7)); // ...pushes overtake its answer
  list.replace([snapshot('C2Cbob', 1, 5)], stamp);
  assert.equal(list.get('C2Cbob').unreadCount, 3);
  assert.equal(list.get('C2Cbob').lastMessage.lastSequence, 7);
});

test('a snapshot taken before a read of ours keeps the read\'s zero', () => {
  const {list, receive} = setup();
  receive(incoming('C2Cbob', 1), incoming('C2Cbob', 2));
  const stamp = list.stamp();
  list.markRead('C2Cbob');
  list.replace([snapshot('C2Cbob', 2, 2)], stamp);
  assert.equal(list.get('C2Cbob').unreadCount, 0);
  // A snapshot asked for after the read is the server's word.
  list.replace([snapshot('C2Cbob', 1, 2)], list.stamp());
  assert.equal(list.get('C2Cbob').unreadCount, 1);
});

test('a push from another connection does not undo a read still on its way', () => {
  const {list, receive} = setup();
  receive(incoming('C2Cbob', 1));
  const read = list.markRead('C2Cbob');
  list.applyPush(snapshot('C2Cbob', 1, 1));
  assert.equal(list.get('C2Cbob').unreadCount, 0);
  read.answered = true;
  list.applyPush(snapshot('C2Cbob', 0, 1));
  list.applyPush(snapshot('C2Cbob', 1, 1));
  assert.equal(list.get('C2Cbob').unreadCount, 1);
});

test('a profile updates a listed conversation but never brings back a deleted one', () => {
  const {list, receive} = setup();
  receive(incoming('C2Cbob', 1));
  const stamp = list.stamp();
  const fields = {...snapshot('C2Cbob', 3, 1), userProfile: {userID: 'bob', nick: 'B', avatar: ''}};
  list.applyProfile('C2Cbob', fields, stamp, true);
  assert.equal(list.get('C2Cbob').unreadCount, 3);
  list.forget('C2Cbob');
  const again = list.applyProfile('C2Cbob', fields, list.stamp(), true);
  assert.equal(again.unreadCount, 3, 'the caller still gets the profile');
  assert.equal(list.has('C2Cbob'), false);
});

test('an empty conversation pushed from elsewhere joins the list only with a message', () => {
  const {list} = setup();
  list.applyPush(snapshot('C2Ccarol', 0, 0));
  assert.equal(list.has('C2Ccarol'), false);
  list.applyPush(snapshot('C2Ccarol', 1, 1));
  assert.equal(list.get('C2Ccarol').unreadCount, 1);
});

test('a recall of the last message shows on the conversation', () => {
  const {list, receive} = setup();
  const m = incoming('C2Cbob', 1);
  receive(m);
  list.noteRevoked([{...m, revoker: 'bob'}]);
  assert.equal(list.get('C2Cbob').lastMessage.isRevoked, true);
  assert.equal(list.get('C2Cbob').lastMessage.revoker, 'bob');
  assert.equal(list.get('C2Cbob').unreadCount, 1, 'a recall does not change the count');
});

test('newest first; a message here outranks the server\'s order within one second', () => {
  const {list, receive} = setup();
  const server = [
    snapshot('C2Cbob', 0, 1, 500),
    snapshot('C2Ccarol', 0, 1, 500),
    snapshot('C2Cdave', 0, 1, 900),
  ];
  list.replace(server, list.stamp());
  assert.deepEqual(list.sorted().map((c) => c.conversationID), ['C2Cdave', 'C2Cbob', 'C2Ccarol']);
  receive(incoming('C2Ccarol', 2, {time: 500}));
  assert.deepEqual(list.sorted().map((c) => c.conversationID), ['C2Cdave', 'C2Ccarol', 'C2Cbob']);
  receive(incoming('C2Cbob', 2, {time: 901}));
  assert.deepEqual(list.sorted().map((c) => c.conversationID), ['C2Cbob', 'C2Cdave', 'C2Ccarol']);
});

test('clear forgets conversations, reads and the announced total', () => {
  const {list, receive} = setup();
  receive(incoming('C2Cbob', 1));
  assert.equal(list.takeTotalChange(), 1);
  list.clear();
  assert.equal(list.sorted().length, 0);
  assert.equal(list.takeTotalChange(), null, 'zero was announced as the state after clear');
});

test('makeConversation fills TIM\'s fields and ignores the server\'s nulls', () => {
  const c = makeConversation({
    conversationID: 'GROUPg1',
    type: 'GROUP',
    userProfile: null,
    groupProfile: {groupID: 'g1', name: 'G', type: 'Public'},
  });
  assert.equal(c.userProfile, undefined);
  assert.equal(c.toAccount, 'g1');
  assert.equal(c.subType, 'Public');
  assert.equal(c.unreadCount, 0);
  assert.equal(c.lastMessage, null);
});
