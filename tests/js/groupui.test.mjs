// The chat page's group texts and the controls each role is offered.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {tip} from './tips.mjs';
import {
  durationText,
  groupControls,
  memberControls,
  noticeText,
  tipText,
} from '../../static/im/groupui.js';

// Django's JavaScript catalog without translations: the source strings, interpolated.
const i18n = {
  gettext: (text) => text,
  ngettext: (one, many, n) => (n === 1 ? one : many),
  interpolate: (format, values, named) =>
    named
      ? format.replace(/%\(\w+\)s/g, (match) => String(values[match.slice(2, -2)]))
      : format.replace(/%s/g, () => String(values.shift())),
};


test('tips read as the lines the page shows', () => {
  assert.equal(tipText(tip(1, {operatorID: 'carol', userIDList: ['carol']}), i18n), 'carol joined the group');
  assert.equal(tipText(tip(1, {userIDList: ['carol']}), i18n, {groupType: 'Public'}), 'carol joined the group');
  assert.equal(tipText(tip(1, {userIDList: ['bob', 'carol']}), i18n, {groupType: 'Private'}),
    'alice added bob, carol to the group');
  assert.equal(tipText(tip(2, {operatorID: 'bob', userIDList: ['bob']}), i18n), 'bob left the group');
  assert.equal(tipText(tip(2, {operatorID: 'bob', userIDList: []}), i18n), 'bob left the group');
  assert.equal(tipText(tip(3, {userIDList: ['bob']}), i18n), 'alice removed bob from the group');
  assert.equal(tipText(tip(4, {userIDList: ['bob']}), i18n), 'alice made bob an admin');
  assert.equal(tipText(tip(5, {userIDList: ['bob']}), i18n), 'alice removed bob as admin');
  assert.equal(tipText(tip(6, {newGroupProfile: {name: 'Club'}}), i18n), 'alice changed the group name to “Club”');
  assert.equal(tipText(tip(6, {newGroupProfile: {ownerID: 'bob'}}), i18n), 'alice made bob the owner of the group');
  assert.equal(tipText(tip(6, {newGroupProfile: {muteAllMembers: true, notification: 'Hi'}}), i18n),
    'alice changed the group notification to “Hi”; alice muted everyone');
  assert.equal(tipText(tip(7, {memberList: [{userID: 'bob', muteTime: 600}]}), i18n), 'alice muted bob for 10 minutes');
  assert.equal(tipText(tip(7, {memberList: [{userID: 'bob', muteTime: 0}]}), i18n), 'alice unmuted bob');
  assert.equal(tipText(tip(99), i18n), '[Group tip]');
});

test('tips show names the page chooses', () => {
  const nameOf = (id) => ({alice: 'Alice', bob: 'Bob'})[id] ?? id;
  assert.equal(tipText(tip(3, {userIDList: ['bob']}), i18n, {nameOf}), 'Alice removed Bob from the group');
});

test('mute lengths in the largest unit they fill', () => {
  assert.equal(durationText(60, i18n), '1 minute');
  assert.equal(durationText(3600, i18n), '1 hour');
  assert.equal(durationText(7200, i18n), '2 hours');
  assert.equal(durationText(86400 * 7, i18n), '7 days');
  assert.equal(durationText(30, i18n), '30 seconds');
});

test('system notices', () => {
  const notice = (operationType, fields = {}) => ({
    operationType, operatorID: 'carol', groupProfile: {groupID: 'g1', name: 'Friends'}, handleMessage: '', ...fields,
  });
  assert.equal(noticeText(notice(1), i18n), 'carol asks to join Friends');
  assert.equal(noticeText(notice(2), i18n), 'Your request to join Friends was accepted');
  assert.equal(noticeText(notice(3), i18n), 'Your request to join Friends was rejected');
  assert.equal(noticeText(notice(4, {operatorID: 'alice'}), i18n), 'alice removed you from Friends');
  assert.equal(noticeText(notice(5, {operatorID: 'alice'}), i18n), 'alice dismissed Friends');
  assert.equal(noticeText(notice(7, {operatorID: 'alice'}), i18n), 'alice added you to Friends');
  assert.equal(noticeText(notice(8, {operatorID: 'me'}), i18n), 'You left Friends');
  assert.equal(noticeText(notice(9, {operatorID: 'alice'}), i18n), 'alice made you an admin of Friends');
  assert.equal(noticeText(notice(10, {operatorID: 'alice'}), i18n), 'alice removed you as admin of Friends');
  assert.equal(noticeText(notice(1, {groupProfile: {groupID: 'g1'}}), i18n), 'carol asks to join g1');
  const custom = notice(255, {operatorID: 'administrator', userDefinedField: 'Maintenance at ten'});
  assert.equal(noticeText(custom, i18n), 'Notice to Friends: Maintenance at ten');
});

const groupAs = (type, role) => ({type, selfInfo: {role, userID: 'me'}});
const shown = (controls) => Object.keys(controls).filter((k) => controls[k]).sort();

test('group controls by type and role follow the protocol\'s table', () => {
  assert.deepEqual(shown(groupControls(groupAs('Private', 'Owner'))), ['editProfile', 'invite', 'quit', 'transfer']);
  assert.deepEqual(shown(groupControls(groupAs('Private', 'Member'))), ['editProfile', 'invite', 'quit']);
  assert.deepEqual(shown(groupControls(groupAs('Public', 'Owner'))), ['dismiss', 'editProfile', 'muteAll', 'transfer']);
  assert.deepEqual(shown(groupControls(groupAs('Public', 'Admin'))), ['editProfile', 'muteAll', 'quit']);
  assert.deepEqual(shown(groupControls(groupAs('Public', 'Member'))), ['quit']);
  assert.deepEqual(shown(groupControls(groupAs('ChatRoom', 'Owner'))), ['dismiss', 'editProfile', 'muteAll', 'transfer']);
  assert.deepEqual(shown(groupControls(groupAs('AVChatRoom', 'Owner'))), ['dismiss', 'editProfile', 'muteAll']);
});

test('member controls: the owner on anyone, an admin on plain members, nobody on oneself', () => {
  const bob = {userID: 'bob', role: 'Member'};
  const dora = {userID: 'dora', role: 'Admin'};
  const ownerOfPublic = groupAs('Public', 'Owner');
  assert.deepEqual(shown(memberControls(ownerOfPublic, bob, 'me')), ['mute', 'remove', 'setAdmin', 'transfer']);
  assert.deepEqual(shown(memberControls(ownerOfPublic, dora, 'me')), ['cancelAdmin', 'mute', 'remove', 'transfer']);
  const adminOfPublic = groupAs('Public', 'Admin');
  assert.deepEqual(shown(memberControls(adminOfPublic, bob, 'me')), ['mute', 'remove']);
  assert.deepEqual(shown(memberControls(adminOfPublic, dora, 'me')), []);
  assert.deepEqual(shown(memberControls(groupAs('Public', 'Member'), bob, 'me')), []);
  assert.deepEqual(shown(memberControls(groupAs('Private', 'Owner'), bob, 'me')), ['remove', 'transfer']);
  assert.deepEqual(shown(memberControls(groupAs('Private', 'Member'), bob, 'me')), []);
  assert.deepEqual(shown(memberControls(ownerOfPublic, {userID: 'me', role: 'Owner'}, 'me')), []);
});
