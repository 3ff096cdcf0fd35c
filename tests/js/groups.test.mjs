// The group list under pushes and tips, and a join application's notice as a request.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {tip} from './tips.mjs';
import {
  GroupList,
  NOTICE,
  applicationOf,
  joinedGroup,
  makeGroup,
  makeMember,
  tipChangesMembers,
  tipEffect,
} from '../../static/im/tim/groups.js';
import {TYPES} from '../../static/im/tim/constants.js';
import {Message} from '../../static/im/tim/message.js';

const group = (fields = {}) =>
  makeGroup({
    groupID: 'g1',
    name: 'Friends',
    type: TYPES.GRP_PUBLIC,
    ownerID: 'alice',
    memberCount: 3,
    selfInfo: {role: TYPES.GRP_MBR_ROLE_MEMBER, userID: 'bob', nameCard: ''},
    ...fields,
  });


function listWith(...groups) {
  let changes = 0;
  const list = new GroupList(() => changes++);
  list.replace(groups);
  return {list, changes: () => changes};
}

test('a profile tip (6) changes the listed group and announces it', () => {
  const {list, changes} = listWith(group());
  const changed = list.applyTip(tip(6, {newGroupProfile: {name: 'Family', muteAllMembers: true}}), 'bob');
  assert.equal(changed, true);
  assert.equal(list.get('g1').name, 'Family');
  assert.equal(list.get('g1').muteAllMembers, true);
  assert.equal(changes(), 1);
  // The same tip again (an answer already held the change): nothing to announce.
  assert.equal(list.applyTip(tip(6, {newGroupProfile: {name: 'Family'}}), 'bob'), false);
  assert.equal(changes(), 1);
});

test('a new owner in a tip makes me Owner, or the old owner a Member', () => {
  const toMe = tipEffect(group(), tip(6, {newGroupProfile: {ownerID: 'bob'}}), 'bob');
  assert.equal(toMe.ownerID, 'bob');
  assert.equal(toMe.selfInfo.role, TYPES.GRP_MBR_ROLE_OWNER);
  const mine = group({ownerID: 'bob', selfInfo: {role: TYPES.GRP_MBR_ROLE_OWNER, userID: 'bob'}});
  const fromMe = tipEffect(mine, tip(6, {newGroupProfile: {ownerID: 'carol'}}), 'bob');
  assert.equal(fromMe.selfInfo.role, TYPES.GRP_MBR_ROLE_MEMBER);
  const others = tipEffect(group(), tip(6, {newGroupProfile: {ownerID: 'carol'}}), 'bob');
  assert.equal(others.selfInfo.role, TYPES.GRP_MBR_ROLE_MEMBER);
  assert.equal(others.ownerID, 'carol');
});

test('admin tips (4, 5) change my role only when they name me', () => {
  const admin = tipEffect(group(), tip(4, {userIDList: ['bob']}), 'bob');
  assert.equal(admin.selfInfo.role, TYPES.GRP_MBR_ROLE_ADMIN);
  assert.equal(tipEffect(admin, tip(5, {userIDList: ['bob']}), 'bob').selfInfo.role, 'Member');
  const g = group();
  assert.equal(tipEffect(g, tip(4, {userIDList: ['carol']}), 'bob'), g);
});

test('a member-profile tip (7) carries my name card; a mute of someone else changes nothing', () => {
  const carded = tipEffect(group(), tip(7, {memberList: [{userID: 'bob', nameCard: 'Bobby'}]}), 'bob');
  assert.equal(carded.selfInfo.nameCard, 'Bobby');
  const g = group();
  assert.equal(tipEffect(g, tip(7, {memberList: [{userID: 'carol', muteTime: 600}]}), 'bob'), g);
});

test('joins, quits and kicks ask for a recount instead of doing arithmetic', () => {
  assert.equal(tipChangesMembers(tip(1)), true);
  assert.equal(tipChangesMembers(tip(2)), true);
  assert.equal(tipChangesMembers(tip(3)), true);
  assert.equal(tipChangesMembers(tip(6)), false);
  const {list} = listWith(group());
  assert.equal(list.applyTip(tip(1, {userIDList: ['carol']}), 'bob'), false);
  assert.equal(list.get('g1').memberCount, 3);
});

test('a tip about a group that is not listed is ignored', () => {
  const {list, changes} = listWith(group());
  const other = tip(6, {groupProfile: {groupID: 'g2'}, newGroupProfile: {name: 'x'}});
  assert.equal(list.applyTip(other, 'bob'), false);
  assert.equal(list.has('g2'), false);
  assert.equal(changes(), 0);
});

test('refresh takes an answer for a listed group, keeping selfInfo the answer lacks', () => {
  const {list, changes} = listWith(group());
  assert.equal(list.refresh({groupID: 'g1', name: 'New', memberCount: 4, selfInfo: {}}), true);
  assert.equal(list.get('g1').name, 'New');
  assert.equal(list.get('g1').memberCount, 4);
  assert.equal(list.get('g1').selfInfo.userID, 'bob');
  assert.equal(list.refresh({groupID: 'g9', name: 'Not mine'}), false);
  assert.equal(list.has('g9'), false);
  assert.equal(changes(), 1);
});

test('remove drops a listed group once', () => {
  const {list, changes} = listWith(group(), group({groupID: 'g2'}));
  assert.equal(list.remove('g1'), true);
  assert.equal(list.remove('g1'), false);
  assert.deepEqual(list.list().map((g) => g.groupID), ['g2']);
  assert.equal(changes(), 1);
});

function notice(payload, fields = {}) {
  return new Message({
    ID: 'n1',
    type: TYPES.MSG_GRP_SYS_NOTICE,
    conversationID: TYPES.CONV_SYSTEM,
    conversationType: TYPES.CONV_SYSTEM,
    from: TYPES.CONV_SYSTEM,
    payload,
    ...fields,
  });
}

test('a join application notice names the group and the applicant (its operator)', () => {
  const message = notice({
    operationType: NOTICE.JOIN_APPLICATION,
    operatorID: 'carol',
    groupProfile: {groupID: 'g1', name: 'Friends'},
    handleMessage: 'let me in',
  });
  assert.deepEqual(applicationOf(message), {groupID: 'g1', applicant: 'carol'});
});

test('anything but a join application is not one', () => {
  const kicked = notice({operationType: NOTICE.KICKED, operatorID: 'alice', groupProfile: {groupID: 'g1'}});
  assert.equal(applicationOf(kicked), null);
  assert.equal(applicationOf(notice({operationType: 1, operatorID: 'carol', groupProfile: {}})), null);
  const text = new Message({type: TYPES.MSG_TEXT, payload: {text: 'hi'}});
  assert.equal(applicationOf(text), null);
  assert.equal(applicationOf(undefined), null);
});

test('makeMember fills TIM\'s member fields', () => {
  const member = makeMember({userID: 'carol', role: 'Admin', muteUntil: 99});
  assert.equal(member.nameCard, '');
  assert.deepEqual(member.memberCustomField, []);
  assert.equal(member.role, 'Admin');
  assert.equal(member.muteUntil, 99);
  assert.equal(makeMember({userID: 'dave'}).role, TYPES.GRP_MBR_ROLE_MEMBER);
});

test('GROUP_JOINED without selfInfo: a listed group keeps its own, a new one is provisional', () => {
  const pushed = {groupID: 'g1', name: 'Friends', ownerID: 'alice', memberCount: 4, selfInfo: {}, changeSequence: 7};
  const listed = group({selfInfo: {role: 'Admin', userID: 'bob', nameCard: 'B'}});
  const kept = joinedGroup(pushed, listed, 'bob');
  assert.equal(kept.needsProfile, false);
  assert.deepEqual(kept.group.selfInfo, {role: 'Admin', userID: 'bob', nameCard: 'B'});
  assert.equal(kept.group.memberCount, 4);
  assert.equal('changeSequence' in kept.group, false, "the push's changeSequence is not the group's");

  const fresh = joinedGroup(pushed, undefined, 'bob');
  assert.equal(fresh.needsProfile, true);
  assert.equal(fresh.group.selfInfo.role, TYPES.GRP_MBR_ROLE_MEMBER);
  assert.equal(joinedGroup(pushed, undefined, 'alice').group.selfInfo.role, TYPES.GRP_MBR_ROLE_OWNER);

  const whole = {...pushed, selfInfo: {role: 'Member', userID: 'bob'}};
  assert.equal(joinedGroup(whole, listed, 'bob').needsProfile, false);
  assert.equal(joinedGroup(whole, listed, 'bob').group.selfInfo.role, 'Member');
});
