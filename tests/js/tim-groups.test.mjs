// The SDK facade's group methods and pushes, against a fake server: what goes on the
// wire, what comes back, and that pushes keep the group list true.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {FakeServer, readyTIM, serverError, settle} from './fakeserver.mjs';
import TIM from '../../static/im/tim.js';

let appID = 1400000100;

const groupOf = (groupID, fields = {}) => ({
  groupID,
  name: groupID,
  type: 'Public',
  ownerID: 'alice',
  memberCount: 2,
  joinOption: 'NeedPermission',
  selfInfo: {role: 'Owner', userID: 'alice', nameCard: '', joinTime: 1},
  ...fields,
});

/** A logged-in, ready SDK for alice over a fake server holding `groups` (and `conversations`). */
async function ready(groups = [], conversations = []) {
  const server = new FakeServer();
  server.handlers.getGroupList = () => ({groupList: structuredClone(groups)});
  server.handlers.getConversationList = () => ({
    conversationList: structuredClone(conversations),
    isSyncCompleted: true,
  });
  return {server, ...(await readyTIM(appID++, 'ws://hutong.test/ws/im/'))};
}

test('joinGroup answers TIM\'s status; a joined group is listed and announced', async () => {
  const {server, tim, named} = await ready();
  server.handlers.joinGroup = ({groupID}) => ({status: 'JoinedSuccess', group: groupOf(groupID)});
  const {code, data} = await tim.joinGroup({groupID: 'g1', applyMessage: 'hi'});
  assert.equal(code, 0);
  assert.equal(data.status, TIM.TYPES.JOIN_STATUS_SUCCESS);
  assert.equal(data.group.groupID, 'g1');
  assert.deepEqual(server.sent('joinGroup'), [{groupID: 'g1', applyMessage: 'hi'}]);
  await settle(250);
  const lists = named(TIM.EVENT.GROUP_LIST_UPDATED);
  assert.deepEqual(lists.at(-1).data.map((g) => g.groupID), ['g1']);
  await tim.destroy();
});

test('an application waits without listing the group', async () => {
  const {server, tim} = await ready();
  server.handlers.joinGroup = () => ({status: 'WaitAdminApproval'});
  const {data} = await tim.joinGroup({groupID: 'g1'});
  assert.deepEqual(data, {status: TIM.TYPES.JOIN_STATUS_WAIT_APPROVAL});
  assert.deepEqual((await tim.getGroupList()).data.groupList.map((g) => g.groupID), []);
  await tim.destroy();
});

test('GROUP_LEFT removes the group and its conversation, announced once', async () => {
  const {server, tim, named} = await ready([groupOf('g1'), groupOf('g2')]);
  server.push('MESSAGE_RECEIVED', [
    {
      ID: 'm1', type: 'TIMTextElem', payload: {text: 'x'}, conversationID: 'GROUPg1',
      conversationType: 'GROUP', to: 'g1', from: 'bob', sequence: 1, time: 5, changeSequence: 1,
    },
  ]);
  server.handlers.getConversationProfile = ({conversationID}) => ({
    conversation: {conversationID, type: 'GROUP', unreadCount: 1, lastMessage: null},
  });
  await settle(250);
  const before = named(TIM.EVENT.GROUP_LIST_UPDATED).length;
  server.push('GROUP_LEFT', {groupID: 'g1', reason: 'kicked'});
  await settle(250);
  const lists = named(TIM.EVENT.GROUP_LIST_UPDATED);
  assert.equal(lists.length, before + 1);
  assert.deepEqual(lists.at(-1).data.map((g) => g.groupID), ['g2']);
  const conversations = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data;
  assert.equal(conversations.some((c) => c.conversationID === 'GROUPg1'), false);
  // The list the SDK holds is the one a fresh fetch gives.
  server.handlers.getGroupList = () => ({groupList: [groupOf('g2')]});
  const fresh = (await tim.getGroupList()).data.groupList;
  assert.deepEqual(fresh.map((g) => g.groupID), ['g2']);
  assert.equal(named(TIM.EVENT.GROUP_LIST_UPDATED).length, before + 1, 'nothing new to announce');
  await tim.destroy();
});

test('quitGroup and dismissGroup drop the group at the answer; the push after is no news', async () => {
  const {server, tim, named} = await ready([groupOf('g1'), groupOf('g2')]);
  server.handlers.quitGroup = ({groupID}) => ({groupID});
  server.handlers.dismissGroup = ({groupID}) => ({groupID});
  assert.deepEqual((await tim.quitGroup('g1')).data, {groupID: 'g1'});
  assert.deepEqual((await tim.dismissGroup('g2')).data, {groupID: 'g2'});
  await settle(250);
  const count = named(TIM.EVENT.GROUP_LIST_UPDATED).length;
  server.push('GROUP_LEFT', {groupID: 'g1', reason: 'quit'});
  await settle(250);
  assert.equal(named(TIM.EVENT.GROUP_LIST_UPDATED).length, count);
  assert.deepEqual(named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data, []);
  await tim.destroy();
});

test('the owner quitting a Public group gets the server\'s 10009', async () => {
  const {server, tim} = await ready([groupOf('g1')]);
  server.handlers.quitGroup = () => {
    throw serverError(10009, 'the owner may not quit');
  };
  await assert.rejects(tim.quitGroup('g1'), (error) => error.code === TIM.ERROR.OWNER_CANNOT_QUIT);
  assert.deepEqual((await tim.getGroupList()).data.groupList.map((g) => g.groupID), ['g1']);
  await tim.destroy();
});

test('a live profile tip updates the cached group; a join tip refetches the count', async () => {
  const {server, tim, named} = await ready([groupOf('g1')]);
  server.handlers.getGroupProfile = ({groupID}) => ({group: groupOf(groupID, {name: 'Renamed', memberCount: 3, selfInfo: {}})});
  server.handlers.getConversationProfile = ({conversationID}) => ({
    conversation: {conversationID, type: 'GROUP', unreadCount: 0, lastMessage: null},
  });
  const tipMessage = (ID, sequence, payload) => ({
    ID, type: 'TIMGroupTipElem', conversationID: 'GROUPg1', conversationType: 'GROUP', to: 'g1',
    from: 'bob', sequence, time: 9, changeSequence: sequence,
    payload: {operatorID: 'bob', userIDList: [], groupProfile: {groupID: 'g1', groupName: 'g1'}, ...payload},
  });
  server.push('MESSAGE_RECEIVED', [tipMessage('t1', 1, {operationType: 6, newGroupProfile: {notification: 'Be nice'}})]);
  await settle(250);
  assert.equal(named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data[0].notification, 'Be nice');
  assert.deepEqual(server.sent('getGroupProfile'), [], 'a profile tip needs no fetch');
  server.push('MESSAGE_RECEIVED', [tipMessage('t2', 2, {operationType: 1, userIDList: ['carol']})]);
  await settle(250);
  assert.deepEqual(server.sent('getGroupProfile'), [{groupID: 'g1'}]);
  const [g1] = named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data;
  assert.equal(g1.memberCount, 3);
  assert.equal(g1.selfInfo.role, 'Owner', 'a profile without selfInfo keeps the listed one');
  await tim.destroy();
});

test('a system notice is a message of @TIM#SYSTEM and also GROUP_SYSTEM_NOTICE_RECEIVED', async () => {
  const {server, tim, named} = await ready([groupOf('g1')]);
  server.handlers.getConversationProfile = ({conversationID}) => ({
    conversation: {conversationID, type: '@TIM#SYSTEM', unreadCount: 1, lastMessage: null},
  });
  const notice = {
    ID: 'n1', type: 'TIMGroupSystemNoticeElem', conversationID: '@TIM#SYSTEM',
    conversationType: '@TIM#SYSTEM', to: 'alice', from: '@TIM#SYSTEM', flow: 'in', sequence: 1,
    time: 10, changeSequence: 1,
    payload: {operationType: 1, operatorID: 'carol', groupProfile: {groupID: 'g1', name: 'g1'}, handleMessage: 'me please'},
  };
  server.push('MESSAGE_RECEIVED', [notice]);
  await settle(250);
  const [received] = named(TIM.EVENT.MESSAGE_RECEIVED);
  assert.equal(received.data[0].conversationID, TIM.TYPES.CONV_SYSTEM);
  const notices = named(TIM.EVENT.GROUP_SYSTEM_NOTICE_RECEIVED);
  assert.equal(notices.length, 1);
  assert.equal(notices[0].data.type, 1);
  assert.equal(notices[0].data.message, received.data[0], 'the same Message object');
  assert.equal(tim.getTotalUnreadMessageCount(), 0, "the system conversation's unread do not count");

  server.handlers.handleGroupApplication = ({groupID}) => ({group: groupOf(groupID, {memberCount: 3})});
  const {data} = await tim.handleGroupApplication({
    handleAction: 'Agree', handleMessage: 'welcome', message: notices[0].data.message,
  });
  assert.deepEqual(server.sent('handleGroupApplication'), [
    {groupID: 'g1', applicant: 'carol', handleAction: 'Agree', handleMessage: 'welcome'},
  ]);
  assert.equal(data.group.memberCount, 3);
  assert.equal((await tim.getGroupList()).data.groupList[0].memberCount, 2,
    'the fresh list is the server\'s (this fake one did not change)');
  await tim.destroy();
});

test('handleGroupApplication refuses what is not an application, synchronously', async () => {
  const {tim} = await ready();
  assert.throws(() => tim.handleGroupApplication({handleAction: 'Agree', message: {type: 'TIMTextElem'}}), /Params validate failed/);
  assert.throws(() => tim.handleGroupApplication({handleAction: 'Maybe', application: {groupID: 'g', applicant: 'c'}}), /Params validate failed/);
  await tim.destroy();
});

test('member methods send the wire\'s fields and return TIM\'s shapes', async () => {
  const {server, tim} = await ready([groupOf('g1')]);
  const member = (userID, fields = {}) => ({userID, role: 'Member', nick: userID, ...fields});
  server.handlers.getGroupMemberList = () => ({memberList: [member('alice', {role: 'Owner'}), member('bob')], offset: 0});
  server.handlers.getGroupMemberProfile = ({userIDList}) => ({memberList: userIDList.map((u) => member(u))});
  server.handlers.setGroupMemberMuteTime = ({groupID, userID, muteTime}) => ({
    group: groupOf(groupID), member: member(userID, {muteUntil: 100 + muteTime}),
  });
  server.handlers.setGroupMemberRole = ({groupID, userID, role}) => ({group: groupOf(groupID), member: member(userID, {role})});
  server.handlers.setGroupMemberNameCard = ({groupID, nameCard}) => ({group: groupOf(groupID), member: member('alice', {nameCard})});
  server.handlers.addGroupMember = ({groupID, userIDList}) => ({successUserIDList: userIDList, group: groupOf(groupID, {memberCount: 3})});
  server.handlers.deleteGroupMember = ({groupID, userIDList}) => ({group: groupOf(groupID, {memberCount: 1}), userIDList});
  server.handlers.updateGroupProfile = ({groupID, name}) => ({group: groupOf(groupID, {name})});
  server.handlers.changeGroupOwner = ({groupID, newOwnerID}) => ({
    group: groupOf(groupID, {ownerID: newOwnerID, selfInfo: {role: 'Member', userID: 'alice'}}),
  });
  server.handlers.searchGroupByID = ({groupID}) => ({group: groupOf(groupID, {selfInfo: {}})});
  server.handlers.getGroupApplicationList = () => ({applicationList: [{applicant: 'carol', groupID: 'g1'}]});

  const list = await tim.getGroupMemberList({groupID: 'g1', count: 50});
  assert.deepEqual(list.data.memberList.map((m) => [m.userID, m.role, m.nameCard]), [['alice', 'Owner', ''], ['bob', 'Member', '']]);
  assert.equal(list.data.offset, 0);
  assert.deepEqual(server.sent('getGroupMemberList'), [{groupID: 'g1', count: 50, offset: 0}]);
  const profile = await tim.getGroupMemberProfile({groupID: 'g1', userIDList: ['bob']});
  assert.equal(profile.data.memberList[0].muteUntil, 0);
  const muted = await tim.setGroupMemberMuteTime({groupID: 'g1', userID: 'bob', muteTime: 600});
  assert.equal(muted.data.member.muteUntil, 700);
  assert.equal(muted.data.group.groupID, 'g1');
  assert.equal((await tim.setGroupMemberRole({groupID: 'g1', userID: 'bob', role: TIM.TYPES.GRP_MBR_ROLE_ADMIN})).data.member.role, 'Admin');
  assert.equal((await tim.setGroupMemberNameCard({groupID: 'g1', nameCard: 'Al'})).data.member.nameCard, 'Al');
  assert.deepEqual(server.sent('setGroupMemberNameCard'), [{groupID: 'g1', nameCard: 'Al'}]);
  const added = await tim.addGroupMember({groupID: 'g1', userIDList: ['carol']});
  assert.deepEqual(added.data.successUserIDList, ['carol']);
  assert.deepEqual(added.data.existedUserIDList, []);
  const removed = await tim.deleteGroupMember({groupID: 'g1', userIDList: ['bob'], reason: 'spam'});
  assert.deepEqual(removed.data.userIDList, ['bob']);
  assert.deepEqual(server.sent('deleteGroupMember'), [{groupID: 'g1', userIDList: ['bob'], reason: 'spam'}]);
  assert.equal((await tim.updateGroupProfile({groupID: 'g1', name: 'Club'})).data.group.name, 'Club');
  assert.equal((await tim.getGroupList()).data.groupList.length, 1);
  server.handlers.getGroupList = () => ({groupList: []});
  const handed = await tim.changeGroupOwner({groupID: 'g1', newOwnerID: 'bob'});
  assert.equal(handed.data.group.ownerID, 'bob');
  const found = await tim.searchGroupByID('g7');
  assert.equal(found.data.group.groupID, 'g7');
  const apps = await tim.getGroupApplicationList();
  assert.equal(apps.data.applicationList[0].applicant, 'carol');

  assert.throws(() => tim.setGroupMemberRole({groupID: 'g1', userID: 'bob', role: 'Owner'}), /Params validate failed/);
  assert.throws(() => tim.setGroupMemberMuteTime({groupID: 'g1', userID: 'bob', muteTime: -1}), /Params validate failed/);
  assert.throws(() => tim.getGroupMemberList({groupID: 'g1', count: 101}), /Params validate failed/);
  assert.throws(() => tim.addGroupMember({groupID: 'g1', userIDList: []}), /Params validate failed/);
  await tim.destroy();
});

test('an answer updates the cached group: handing it over makes me a Member', async () => {
  const {server, tim, named} = await ready([groupOf('g1'), groupOf('g2')]);
  server.handlers.changeGroupOwner = ({groupID, newOwnerID}) => ({
    group: groupOf(groupID, {ownerID: newOwnerID, selfInfo: {role: 'Member', userID: 'alice'}}),
  });
  await tim.changeGroupOwner({groupID: 'g1', newOwnerID: 'bob'});
  await settle(250);
  const [g1, g2] = named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data;
  assert.deepEqual([g1.ownerID, g1.selfInfo.role], ['bob', 'Member']);
  assert.deepEqual([g2.ownerID, g2.selfInfo.role], ['alice', 'Owner']);
  await tim.destroy();
});

test('GROUP_JOINED lists the group at once and fetches its selfInfo, which the push lacks', async () => {
  const {server, tim, named} = await ready();
  server.handlers.syncMessages = () => ({messageList: [], changeSequence: 3, isCompleted: true});
  server.handlers.getGroupProfile = ({groupID}) => ({
    group: groupOf(groupID, {ownerID: 'bob', selfInfo: {role: 'Admin', userID: 'alice', nameCard: ''}}),
  });
  server.push('GROUP_JOINED', {...groupOf('g5', {ownerID: 'bob', selfInfo: {}}), changeSequence: 3});
  await settle(250);
  assert.deepEqual(server.sent('getGroupProfile'), [{groupID: 'g5'}]);
  assert.deepEqual(server.sent('syncMessages'), [{conversationID: 'GROUPg5', changeSequence: 3, count: 100}],
    'the catch-up starts at the push\'s changeSequence');
  const [g5] = named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data;
  assert.equal(g5.selfInfo.role, 'Admin');
  assert.equal('changeSequence' in g5, false);
  await tim.destroy();
});

const conversationOf = (groupID, fields = {}) => ({
  conversationID: `GROUP${groupID}`,
  type: 'GROUP',
  unreadCount: 2,
  lastMessage: {lastTime: 5, lastSequence: 2, fromAccount: 'bob', messageForShow: 'hi', type: 'TIMTextElem', payload: {text: 'hi'}},
  groupProfile: {groupID, name: groupID, type: 'Public', avatar: ''},
  messageRemindType: 'AcceptAndNotify',
  changeSequence: 2,
  ...fields,
});

const textMessage = (groupID, ID, sequence, changeSequence = sequence) => ({
  ID, type: 'TIMTextElem', payload: {text: ID}, conversationID: `GROUP${groupID}`,
  conversationType: 'GROUP', to: groupID, from: 'bob', sequence, time: 10 + sequence, changeSequence,
});

/** The fake server's answer to setMessageRemindType: alice's selfInfo says the new type. */
function remindHandler(server, groups) {
  server.handlers.setMessageRemindType = ({groupID, messageRemindType}) => {
    const group = groups.find((g) => g.groupID === groupID);
    group.selfInfo = {...group.selfInfo, messageRemindType};
    return {group: structuredClone(group)};
  };
}

test('setMessageRemindType sends the wire\'s fields; the group and conversation say the new type', async () => {
  const groups = [groupOf('g1', {selfInfo: {role: 'Member', userID: 'alice', messageRemindType: 'AcceptAndNotify'}}), groupOf('g2')];
  const conversations = [conversationOf('g1'), conversationOf('g2', {unreadCount: 1})];
  const {server, tim, named} = await ready(groups, conversations);
  remindHandler(server, groups);
  assert.equal(tim.getTotalUnreadMessageCount(), 3);
  const {code, data} = await tim.setMessageRemindType({groupID: 'g1', messageRemindType: TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE});
  assert.equal(code, 0);
  assert.equal(data.group.selfInfo.messageRemindType, 'AcceptNotNotify');
  assert.deepEqual(server.sent('setMessageRemindType'), [{groupID: 'g1', messageRemindType: 'AcceptNotNotify'}]);
  await settle(250);
  const [g1] = named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data;
  assert.equal(g1.selfInfo.messageRemindType, 'AcceptNotNotify');
  assert.equal(g1.selfInfo.role, 'Member');
  const listed = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data.find((c) => c.conversationID === 'GROUPg1');
  assert.equal(listed.messageRemindType, 'AcceptNotNotify');
  assert.equal(listed.unreadCount, 2, 'still unread, just not counted in the total');
  assert.equal(tim.getTotalUnreadMessageCount(), 1);
  assert.equal(named(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED).at(-1).data, 1);
  // The push that follows to this session too is no news.
  const lists = named(TIM.EVENT.GROUP_LIST_UPDATED).length;
  server.push('MESSAGE_REMIND_TYPE_UPDATED', {groupID: 'g1', messageRemindType: 'AcceptNotNotify'});
  await settle(250);
  assert.equal(named(TIM.EVENT.GROUP_LIST_UPDATED).length, lists);

  assert.throws(() => tim.setMessageRemindType({groupID: 'g1', messageRemindType: 'Loud'}), /Params validate failed/);
  assert.throws(() => tim.setMessageRemindType({userIDList: ['bob'], messageRemindType: 'Discard'}), /Params validate failed/);
  assert.throws(() => tim.setMessageRemindType({messageRemindType: 'Discard'}), /Params validate failed/);
  await tim.destroy();
});

test('MESSAGE_REMIND_TYPE_UPDATED from another session keeps the lists true', async () => {
  const groups = [groupOf('g1'), groupOf('g2')];
  const conversations = [conversationOf('g1'), conversationOf('g2', {unreadCount: 1})];
  const {server, tim, named} = await ready(groups, conversations);
  const before = named(TIM.EVENT.GROUP_LIST_UPDATED).length;
  server.push('MESSAGE_REMIND_TYPE_UPDATED', {groupID: 'g2', messageRemindType: 'Discard'});
  await settle(250);
  assert.equal(named(TIM.EVENT.GROUP_LIST_UPDATED).length, before + 1);
  const pushedGroups = named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data;
  const pushedConversations = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data;
  assert.equal(tim.getTotalUnreadMessageCount(), 2);
  // What the server now holds: the same as the pushes made of what the SDK held.
  groups[1].selfInfo = {...groups[1].selfInfo, messageRemindType: 'Discard'};
  conversations[1].messageRemindType = 'Discard';
  assert.deepEqual((await tim.getGroupList()).data.groupList, pushedGroups);
  assert.deepEqual((await tim.getConversationList()).data.conversationList, pushedConversations);
  server.push('MESSAGE_REMIND_TYPE_UPDATED', {groupID: 'nope', messageRemindType: 'Discard'});
  server.push('MESSAGE_REMIND_TYPE_UPDATED', {groupID: 'g1', messageRemindType: 'Loud'});
  await settle(250);
  assert.deepEqual((await tim.getGroupList()).data.groupList, pushedGroups, 'nothing from a bad push');
  await tim.destroy();
});

test('a Discard group\'s changes are not caught up; set back, it is followed from its latest', async () => {
  const groups = [groupOf('g1')];
  const conversations = [conversationOf('g1')];
  const {server, tim, named} = await ready(groups, conversations);
  remindHandler(server, groups);
  server.handlers.syncMessages = () => ({messageList: [], changeSequence: 9, isCompleted: true});
  await tim.setMessageRemindType({groupID: 'g1', messageRemindType: 'Discard'});
  // Messages 3-6 were stored meanwhile and never pushed: a list refresh sees them.
  conversations[0] = conversationOf('g1', {messageRemindType: 'Discard', unreadCount: 6, changeSequence: 6});
  await tim.getConversationList();
  await settle(50);
  assert.deepEqual(server.sent('syncMessages'), [], 'no catch-up of what Discard kept away');
  server.handlers.getConversationProfile = () => ({conversation: conversationOf('g1', {unreadCount: 6, changeSequence: 6})});
  await tim.setMessageRemindType({groupID: 'g1', messageRemindType: 'AcceptAndNotify'});
  await settle(50);
  assert.deepEqual(server.sent('getConversationProfile'), [{conversationID: 'GROUPg1'}]);
  server.push('MESSAGE_RECEIVED', [textMessage('g1', 'm7', 7)]);
  await settle(1200); // past the gap grace
  assert.deepEqual(server.sent('syncMessages'), [], 'change 7 follows 6: no gap');
  assert.deepEqual(named(TIM.EVENT.MESSAGE_RECEIVED).map((e) => e.data.map((m) => m.ID)), [['m7']]);
  assert.equal(tim.getTotalUnreadMessageCount(), 7);
  await tim.destroy();
});

test('createGroup of an AVChatRoom is not listed until joinGroup', async () => {
  const {server, tim, named} = await ready();
  const room = groupOf('@TGS#av1', {type: 'AVChatRoom', memberCount: 0, selfInfo: {}});
  server.handlers.createGroup = () => ({group: room, overLimitUserIDList: []});
  server.handlers.joinGroup = ({groupID}) => ({
    status: 'JoinedSuccess',
    group: groupOf(groupID, {type: 'AVChatRoom', memberCount: 1}),
  });
  const {data} = await tim.createGroup({name: 'Live', type: TIM.TYPES.GRP_AVCHATROOM});
  assert.equal(data.group.groupID, '@TGS#av1');
  assert.deepEqual(data.group.selfInfo, {});
  await settle(250);
  const announced = named(TIM.EVENT.GROUP_LIST_UPDATED).flatMap((e) => e.data);
  assert.deepEqual(announced, [], 'nothing joined to announce');
  assert.deepEqual((await tim.getGroupList()).data.groupList, []);
  await tim.joinGroup({groupID: '@TGS#av1', type: TIM.TYPES.GRP_AVCHATROOM});
  await settle(250);
  const [listed] = named(TIM.EVENT.GROUP_LIST_UPDATED).at(-1).data;
  assert.deepEqual([listed.groupID, listed.selfInfo.role], ['@TGS#av1', 'Owner']);
  await tim.destroy();
});

test('an AVChatRoom\'s live messages (changeSequence 0) all show, none is caught up or unread', async () => {
  const {server, tim, named} = await ready([groupOf('av', {type: 'AVChatRoom'})]);
  server.handlers.getConversationProfile = ({conversationID}) => ({
    conversation: {conversationID, type: 'GROUP', unreadCount: 0, lastMessage: null, changeSequence: 0},
  });
  server.push('MESSAGE_RECEIVED', [textMessage('av', 'a1', 1, 0)]);
  server.push('MESSAGE_RECEIVED', [textMessage('av', 'a2', 2, 0)]);
  server.push('MESSAGE_RECEIVED', [textMessage('av', 'a4', 4, 0)]); // 3 went to no one online
  await settle(1200);
  assert.deepEqual(named(TIM.EVENT.MESSAGE_RECEIVED).map((e) => e.data[0].ID), ['a1', 'a2', 'a4']);
  assert.deepEqual(server.sent('syncMessages'), []);
  assert.equal(tim.getTotalUnreadMessageCount(), 0);
  await tim.destroy();
});

test('custom fields: createGroup, updateGroupProfile and setGroupMemberCustomField pass them', async () => {
  const {server, tim} = await ready([groupOf('g1')]);
  server.handlers.createGroup = (data) => ({group: groupOf('g9', {groupCustomField: data.groupCustomField}), overLimitUserIDList: []});
  server.handlers.updateGroupProfile = ({groupID, groupCustomField}) => ({group: groupOf(groupID, {groupCustomField})});
  server.handlers.setGroupMemberCustomField = ({groupID, userID = 'alice', memberCustomField}) => ({
    group: groupOf(groupID), member: {userID, role: 'Member', memberCustomField},
  });
  const field = [{key: 'level', value: '3'}];
  await tim.createGroup({
    name: 'Club', type: 'Public', groupCustomField: field,
    memberList: [{userID: 'bob', role: 'Admin', memberCustomField: field}, {userID: 'carol'}],
  });
  assert.deepEqual(server.sent('createGroup')[0], {
    name: 'Club', type: 'Public', groupCustomField: field,
    memberList: [{userID: 'bob', role: 'Admin', memberCustomField: field}, {userID: 'carol'}],
  });
  const updated = await tim.updateGroupProfile({groupID: 'g1', groupCustomField: field});
  assert.deepEqual(updated.data.group.groupCustomField, field);
  assert.deepEqual(server.sent('updateGroupProfile'), [{groupID: 'g1', groupCustomField: field}]);
  const {data} = await tim.setGroupMemberCustomField({groupID: 'g1', userID: 'bob', memberCustomField: field});
  assert.deepEqual([data.group.groupID, data.member.userID, data.member.memberCustomField], ['g1', 'bob', field]);
  assert.equal(data.member.nameCard, '', 'a GroupMember in TIM\'s shape');
  await tim.setGroupMemberCustomField({groupID: 'g1', memberCustomField: [{key: 'level', value: ''}]});
  assert.deepEqual(server.sent('setGroupMemberCustomField'), [
    {groupID: 'g1', userID: 'bob', memberCustomField: field},
    {groupID: 'g1', memberCustomField: [{key: 'level', value: ''}]},
  ]);
  assert.throws(() => tim.setGroupMemberCustomField({groupID: 'g1', memberCustomField: [{key: 'k', value: 3}]}), /Params validate failed/);
  assert.throws(() => tim.createGroup({name: 'x', groupCustomField: 'k=v'}), /Params validate failed/);
  assert.throws(() => tim.createGroup({name: 'x', memberList: [{userID: 'bob', memberCustomField: {}}]}), /Params validate failed/);
  await tim.destroy();
});

test('custom-field filters go to the server; a filtered profile leaves the list whole', async () => {
  const fields = [{key: 'a', value: '1'}, {key: 'b', value: '2'}];
  const whole = groupOf('g1', {groupCustomField: fields});
  const {server, tim} = await ready([whole]);
  server.handlers.getGroupProfile = ({groupCustomFieldFilter}) => ({
    group: {...whole, groupCustomField: whole.groupCustomField.filter(
      (f) => !groupCustomFieldFilter || groupCustomFieldFilter.includes(f.key))},
  });
  server.handlers.getGroupMemberProfile = () => ({memberList: []});
  const {data} = await tim.getGroupProfile({groupID: 'g1', groupCustomFieldFilter: ['b']});
  assert.deepEqual(data.group.groupCustomField, [{key: 'b', value: '2'}]);
  assert.deepEqual(server.sent('getGroupProfile'), [
    {groupID: 'g1', groupCustomFieldFilter: ['b']},
  ]);
  const listed = (await tim.getGroupList()).data.groupList[0];
  assert.equal(listed.groupCustomField.length, 2);
  await tim.getGroupMemberProfile({
    groupID: 'g1',
    userIDList: ['bob'],
    memberCustomFieldFilter: [],
  });
  assert.deepEqual(server.sent('getGroupMemberProfile'), [
    {groupID: 'g1', userIDList: ['bob'], memberCustomFieldFilter: []},
  ]);
  assert.throws(() => tim.getGroupProfile({groupID: 'g1', memberCustomFieldFilter: 'x'}));
  await tim.destroy();
});
