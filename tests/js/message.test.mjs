// The order of messages, and what a Message alone decides.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Message, bySequence, lastMessageOf, priorityOf} from '../../static/im/tim/message.js';
import {newestFirst} from '../../static/im/tim/conversations.js';
import {TYPES} from '../../static/im/tim/constants.js';

test('a catch-up\'s messages are put in the order they were sent', () => {
  const changes = [5, 2, 9, 3].map((sequence) => new Message({ID: `m${sequence}`, sequence}));
  assert.deepEqual(changes.sort(bySequence).map((m) => m.sequence), [2, 3, 5, 9]);
});

test('conversations: newest last message first, ties broken by rank, empty ones last', () => {
  const c = (conversationID, lastTime) => ({
    conversationID,
    lastMessage: lastTime === null ? null : {lastTime},
  });
  const ranks = new Map([['a', 1], ['b', 2], ['c', 3]]);
  const sorted = [c('a', 10), c('empty', null), c('b', 10), c('c', 5)].sort(newestFirst(ranks));
  assert.deepEqual(sorted.map((x) => x.conversationID), ['b', 'a', 'c', 'empty']);
});

test('priorities: TIM\'s names and the numbers 1-4, nothing else', () => {
  assert.equal(priorityOf(TYPES.MSG_PRIORITY_LOW), 'Low');
  assert.equal(priorityOf(1), 'High');
  assert.equal(priorityOf(4), 'Lowest');
  assert.equal(priorityOf(5), undefined);
  assert.equal(priorityOf('high'), undefined);
});

test('a conversation shows text as it is and anything else by TIM\'s label', () => {
  const text = new Message({type: TYPES.MSG_TEXT, payload: {text: 'hi'}, sequence: 4, time: 9});
  assert.equal(lastMessageOf(text).messageForShow, 'hi');
  assert.equal(lastMessageOf(text).lastSequence, 4);
  const face = new Message({type: TYPES.MSG_FACE, payload: {index: 1}});
  assert.equal(lastMessageOf(face).messageForShow, '[动画表情]');
  assert.equal(lastMessageOf(new Message({type: 'Unknown'})).messageForShow, '[Message]');
});

test('a Message has TIM\'s defaults under the fields it is given', () => {
  const m = new Message({ID: 'x', flow: 'out'});
  assert.equal(m.status, 'success');
  assert.equal(m.flow, 'out');
  assert.equal(m.priority, TYPES.MSG_PRIORITY_NORMAL);
  assert.deepEqual(m.atUserList, []);
});
