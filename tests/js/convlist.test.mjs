// The conversation list's search and mute helpers (convlist.js) and which messages
// call for a notification (notify.js): pure logic, no DOM.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {isQuiet, matches, remindOptions} from '../../static/im/convlist.js';
import {worthNotifying} from '../../static/im/notify.js';

const c2c = {conversationID: 'C2Cdave', type: 'C2C', userProfile: {userID: 'dave', nick: 'Dàwèi Lin'}};
const group = {conversationID: 'GROUP@TGS#1', type: 'GROUP', groupProfile: {groupID: '@TGS#1', name: '茶馆'}};

test('search matches the shown name, nick, userID, group name and groupID, ignoring case', () => {
  assert.ok(matches(c2c, 'Dàwèi Lin', ''));
  assert.ok(matches(c2c, 'Dàwèi Lin', '  '));
  assert.ok(matches(c2c, 'Dàwèi Lin', 'DÀW'));
  assert.ok(matches(c2c, 'Dàwèi Lin', 'dav'), 'the userID');
  assert.ok(matches({conversationID: 'C2Cdave', type: 'C2C'}, 'Dave', 'dave'), 'no profile yet');
  assert.ok(matches(c2c, 'D. L.', 'lin'), 'the nick, when a remark names it otherwise');
  assert.ok(!matches(c2c, 'Dàwèi Lin', 'bob'));
  assert.ok(matches(group, '茶馆', '茶'));
  assert.ok(matches(group, '茶馆', '@tgs#1'));
  assert.ok(!matches(group, '茶馆', 'dave'));
});

test('mute asks for AcceptNotNotify by groupID or by the C2C form; unmute for AcceptAndNotify', () => {
  assert.deepEqual(remindOptions('GROUP@TGS#1', true), {groupID: '@TGS#1', messageRemindType: 'AcceptNotNotify'});
  assert.deepEqual(remindOptions('C2Cbob', true), {userIDList: ['bob'], messageRemindType: 'AcceptNotNotify'});
  assert.deepEqual(remindOptions('C2Cbob', false), {userIDList: ['bob'], messageRemindType: 'AcceptAndNotify'});
  assert.ok(isQuiet('AcceptNotNotify') && isQuiet('Discard'));
  assert.ok(!isQuiet('AcceptAndNotify') && !isQuiet(''));
});

const message = (conversationID, ID, fields = {}) => ({
  ID, conversationID, flow: 'in', type: 'TIMTextElem', payload: {text: ID}, isRevoked: false, ...fields,
});

test('notifications: incoming, not muted, not the open visible conversation, one per conversation', () => {
  const now = {me: 'alice', activeID: 'C2Ccarol', visible: true, quiet: (id) => id === 'C2Cmuted'};
  const due = worthNotifying(
    [
      message('C2Cbob', 'b1'),
      message('C2Cbob', 'b2'),
      message('C2Ccarol', 'c1'), // open and visible
      message('C2Cmuted', 'm1'),
      message('C2Cdave', 'mine', {flow: 'out'}),
      message('GROUPg', 'tip', {type: 'TIMGroupTipElem'}),
      message('GROUPg', 'gone', {isRevoked: true}),
      message('@TIM#SYSTEM', 'made', {type: 'TIMGroupSystemNoticeElem', payload: {operatorID: 'alice'}}),
      message('@TIM#SYSTEM', 'kicked', {type: 'TIMGroupSystemNoticeElem', payload: {operatorID: 'bob'}}),
    ],
    now,
  );
  assert.deepEqual(due.map((m) => m.ID), ['b2', 'kicked']);
  // A hidden tab: the open conversation notifies too.
  const hidden = worthNotifying([message('C2Ccarol', 'c2')], {...now, visible: false});
  assert.deepEqual(hidden.map((m) => m.ID), ['c2']);
});
