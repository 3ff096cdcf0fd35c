// The message store: one object per message ID, whoever brings a later copy.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {MessageStore} from '../../static/im/tim/store.js';
import {Message} from '../../static/im/tim/message.js';

const fields = (ID, extra = {}) => ({
  ID,
  conversationID: 'C2Cbob',
  from: 'bob',
  sequence: 1,
  ...extra,
});

test('a later copy updates the object already handed out', () => {
  const store = new MessageStore();
  const first = store.adopt(fields('m1'), 'alice');
  assert.ok(first instanceof Message);
  const again = store.adopt(fields('m1', {isRevoked: true}), 'alice');
  assert.equal(again, first);
  assert.equal(first.isRevoked, true);
  assert.equal(store.find('m1'), first);
  assert.equal(store.find('nope'), null);
});

test('flow is the viewer\'s, and one\'s own messages are read', () => {
  const store = new MessageStore();
  const theirs = store.adopt(fields('m1'), 'alice');
  const mine = store.adopt(fields('m2', {from: 'alice', flow: 'in'}), 'alice');
  assert.equal(theirs.flow, 'in');
  assert.equal(theirs.isRead, false);
  assert.equal(mine.flow, 'out');
  assert.equal(mine.isRead, true);
});

test('a message read here stays read when the server\'s copy says otherwise', () => {
  const store = new MessageStore();
  const m = store.adopt(fields('m1'), 'alice');
  store.markRead('C2Cbob');
  store.adopt(fields('m1', {isRead: false}), 'alice');
  assert.equal(m.isRead, true);
});

test('incomingAfter counts only delivered messages from others after the sequence', () => {
  const store = new MessageStore();
  store.adopt(fields('a', {sequence: 3}), 'alice');
  store.adopt(fields('b', {sequence: 4}), 'alice');
  store.adopt(fields('c', {sequence: 5, from: 'alice'}), 'alice');
  const failed = {ID: 'd', conversationID: 'C2Cbob', flow: 'in', sequence: 6, status: 'fail'};
  store.remember(new Message(failed));
  store.adopt(fields('e', {sequence: 9, conversationID: 'C2Ccarol'}), 'alice');
  assert.equal(store.incomingAfter('C2Cbob', 3), 1);
  assert.equal(store.incomingAfter('C2Cbob', 2), 2);
  assert.equal(store.incomingAfter('C2Cdave', 0), 0);
});

test('clear forgets everything', () => {
  const store = new MessageStore();
  store.adopt(fields('m1'), 'alice');
  store.clear();
  assert.equal(store.get(fields('m1')), undefined);
});
