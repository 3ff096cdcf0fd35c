// The chat page's read ticks and typing logic (static/im/readstate.js), without a DOM.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  TYPING_BUSINESS_ID,
  TypingIndicator,
  TypingSender,
  isShown,
  tickOf,
  typingPayload,
  typingStatusOf,
} from '../../static/im/readstate.js';

const i18n = {gettext: (text) => ({Read: '已读', Sent: '已发送'})[text] ?? text};
const custom = (data) => ({type: 'TIMCustomElem', payload: {data}});

test('typing payloads are TUIKit\'s and read back', () => {
  const on = JSON.parse(typingPayload(true).data);
  assert.equal(on.businessID, TYPING_BUSINESS_ID);
  assert.equal(on.typingStatus, 1);
  assert.equal(JSON.parse(typingPayload(false).data).typingStatus, 0);
  assert.equal(typingStatusOf({type: 'TIMCustomElem', payload: typingPayload(true)}), 1);
  assert.equal(typingStatusOf({type: 'TIMCustomElem', payload: typingPayload(false)}), 0);
  assert.equal(typingStatusOf(custom('not json')), null);
  assert.equal(typingStatusOf(custom('{"businessID":"order"}')), null);
  assert.equal(typingStatusOf(custom('null')), null);
  assert.equal(typingStatusOf({type: 'TIMTextElem', payload: {text: 'user_typing_status'}}), null);
});

test('typing indicators and online-only messages are never bubbles', () => {
  assert.equal(isShown({type: 'TIMCustomElem', payload: typingPayload(true)}), false);
  assert.equal(isShown({...custom('{}'), onlineOnlyFlag: true}), false);
  assert.equal(isShown(custom('{"businessID":"order"}')), true);
  assert.equal(isShown({type: 'TIMTextElem', payload: {text: 'hi'}}), true);
});

test('the sender says "typing" at most every interval, and "stopped" once', () => {
  let now = 0;
  const sent = [];
  const sender = new TypingSender((id, status) => sent.push([id, status]), {
    now: () => now,
    intervalMs: 4000,
  });
  sender.input('C2Cbob', true);
  now = 1000;
  sender.input('C2Cbob', true);
  now = 3999;
  sender.input('C2Cbob', true);
  assert.deepEqual(sent, [['C2Cbob', 1]]);
  now = 4000;
  sender.input('C2Cbob', true);
  assert.deepEqual(sent, [['C2Cbob', 1], ['C2Cbob', 1]]);
  sender.input('C2Cbob', false);
  sender.input('C2Cbob', false);
  sender.stop();
  assert.deepEqual(sent.at(-1), ['C2Cbob', 0]);
  assert.equal(sent.length, 3, 'one stop, however often cleared');
  // Typing again right after a stop is news again; switching chats stops the old one.
  sender.input('C2Cbob', true);
  sender.input('C2Ccarol', true);
  assert.deepEqual(sent.slice(3), [['C2Cbob', 1], ['C2Cbob', 0], ['C2Ccarol', 1]]);
});

test('the indicator shows until stopped, or until the timeout after the last news', async () => {
  const changes = [];
  const indicator = new TypingIndicator((id) => changes.push([id, indicator.isTyping(id)]), {
    timeoutMs: 40,
  });
  indicator.note('C2Cbob', 1);
  assert.equal(indicator.isTyping('C2Cbob'), true);
  indicator.note('C2Cbob', 0);
  assert.equal(indicator.isTyping('C2Cbob'), false);
  indicator.note('C2Cbob', 1);
  await new Promise((resolve) => setTimeout(resolve, 25));
  indicator.note('C2Cbob', 1); // still typing: the timeout starts again
  await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(indicator.isTyping('C2Cbob'), true);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(indicator.isTyping('C2Cbob'), false);
  indicator.clear('C2Cbob'); // nothing to clear: no change
  assert.deepEqual(changes, [
    ['C2Cbob', true],
    ['C2Cbob', false],
    ['C2Cbob', true],
    ['C2Cbob', false],
  ]);
});

test('ticks are for our sent C2C messages: sent, then read', () => {
  const own = {flow: 'out', status: 'success', conversationType: 'C2C', isPeerRead: false};
  assert.deepEqual(tickOf(own, i18n), {read: false, text: '✓', label: '已发送'});
  assert.deepEqual(tickOf({...own, isPeerRead: true}, i18n), {read: true, text: '✓✓', label: '已读'});
  assert.equal(tickOf({...own, flow: 'in'}, i18n), null);
  assert.equal(tickOf({...own, status: 'unSend'}, i18n), null);
  assert.equal(tickOf({...own, status: 'fail'}, i18n), null);
  assert.equal(tickOf({...own, conversationType: 'GROUP'}, i18n), null);
});
