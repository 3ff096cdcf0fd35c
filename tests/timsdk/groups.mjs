// The group contract scenario (tests/test_timsdk_groups.py): alice, bob and carol on
// Tencent's SDK. alice creates a Public group with carol in it (carol offline), bob
// joins, they talk; carol logs in later and pages the history; then a mute, a role
// change, a kick, a quit, a recall and the dismissal of a second group. Each step
// records what the SDK itself answered or emitted.
import { run, userOf } from './sdk.mjs';

run(async (config, record) => {
  const alice = userOf(config, 'alice');
  const bob = userOf(config, 'bob');
  const TIM = alice.TIM;
  const { EVENT, TYPES } = TIM;

  /** The next message `user` receives that passes `test` (MESSAGE_RECEIVED lists). */
  const received = async (user, test, timeout) => {
    const list = await user.next(EVENT.MESSAGE_RECEIVED, (l) => l.some(test), timeout);
    return list.find(test);
  };
  const tipOf = (groupID, operationType) => (m) =>
    m.type === TYPES.MSG_GRP_TIP && m.to === groupID && m.payload.operationType === operationType;
  const noticeOf = (groupID, operationType) => (m) =>
    m.type === TYPES.MSG_GRP_SYS_NOTICE && m.payload.groupProfile.groupID === groupID &&
    m.payload.operationType === operationType;
  const text = (user, groupID, words) => user.tim.sendMessage(user.tim.createTextMessage({
    to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text: words },
  }));
  const failure = (promise) => promise.then(() => ({ code: 0 }), (error) => ({ code: error.code }));
  const conversation = async (user, id) =>
    (await user.tim.getConversationProfile(id)).data.conversation;

  await alice.login();
  await bob.login();

  // --- create: alice owns a Public group that carol (offline) is in from the start ---
  const created = await alice.tim.createGroup({
    type: TYPES.GRP_PUBLIC, name: 'Hutong TIM', groupID: config.groupID,
    memberList: [{ userID: 'carol' }],
  });
  const groupID = created.data.group.groupID;
  const conversationID = `GROUP${groupID}`;
  record('created', {
    groupID, type: created.data.group.type, role: created.data.group.selfInfo.role,
    name: created.data.group.name,
  });

  // --- bob joins; alice sees the join tip ---
  const joinTip = received(alice, tipOf(groupID, TYPES.GRP_TIP_MBR_JOIN));
  const joined = await bob.tim.joinGroup({ groupID, type: TYPES.GRP_PUBLIC });
  record('joined', { status: joined.data.status, groupID: joined.data.group.groupID });
  const tip = await joinTip;
  record('joinTip', {
    from: tip.from, conversationID: tip.conversationID, userIDList: tip.payload.userIDList,
    operatorID: tip.payload.operatorID, memberNum: tip.payload.memberNum,
  });
  const bobGroups = (await bob.tim.getGroupList()).data.groupList;
  record('bobGroups', bobGroups.map((g) => g.groupID));
  const profile = (await bob.tim.getGroupProfile({ groupID })).data.group;
  record('bobProfile', {
    name: profile.name, ownerID: profile.ownerID, memberCount: profile.memberCount,
    role: profile.selfInfo.role, type: profile.type,
  });

  // --- they talk ---
  const atAlice = received(alice, (m) => m.to === groupID && m.payload.text === 'hello from bob');
  const sent = await text(bob, groupID, 'hello from bob');
  const got = await atAlice;
  record('bobSent', { sequence: sent.data.message.sequence, ID: sent.data.message.ID });
  record('aliceGot', {
    ID: got.ID, from: got.from, conversationType: got.conversationType, flow: got.flow,
    sequence: got.sequence, nick: got.nick,
  });
  const atBob = received(bob, (m) => m.to === groupID && m.payload.text === 'hi bob');
  await text(alice, groupID, 'hi bob');
  const reply = await atBob;
  record('bobGot', { from: reply.from, flow: reply.flow, text: reply.payload.text });
  for (let i = 1; i <= 18; i += 1) await text(alice, groupID, `m${i}`);
  await received(bob, (m) => m.to === groupID && m.payload.text === 'm18');
  record('bobUnread', (await conversation(bob, conversationID)).unreadCount);

  // --- bob reads the group ---
  await bob.tim.setMessageRead({ conversationID });
  record('bobUnreadAfterRead', (await conversation(bob, conversationID)).unreadCount);

  // --- carol logs in: the group is in her list with its unread count; she pages it ---
  const carol = userOf(config, 'carol');
  await carol.login();
  const carolList = (await carol.tim.getConversationList()).data.conversationList;
  const carolGroup = carolList.find((c) => c.conversationID === conversationID);
  record('carolListed', { unreadCount: carolGroup.unreadCount, type: carolGroup.type });
  const first = (await carol.tim.getMessageList({ conversationID })).data;
  const second = (await carol.tim.getMessageList({
    conversationID, nextReqMessageID: first.nextReqMessageID,
  })).data;
  const shown = (m) => (m.type === TYPES.MSG_TEXT ? m.payload.text : m.type);
  record('carolPages', {
    first: first.messageList.map(shown), firstCompleted: first.isCompleted,
    second: second.messageList.map(shown), secondCompleted: second.isCompleted,
    sequences: [...second.messageList, ...first.messageList].map((m) => m.sequence),
    bobsID: [...second.messageList, ...first.messageList]
      .find((m) => m.payload.text === 'hello from bob').ID,
  });
  await carol.tim.setMessageRead({ conversationID });
  record('carolUnreadAfterRead', (await conversation(carol, conversationID)).unreadCount);

  // --- a profile change: a tip with what changed; the SDK's own copy follows ---
  const profileTip = received(bob, tipOf(groupID, TYPES.GRP_TIP_GRP_PROFILE_UPDATED));
  await alice.tim.updateGroupProfile({ groupID, name: 'Renamed', notification: 'Be nice' });
  record('profileTip', (await profileTip).payload.newGroupProfile);
  const bobsCopy = (await bob.tim.getGroupList()).data.groupList.find((g) => g.groupID === groupID);
  record('bobsCopy', { name: bobsCopy.name, notification: bobsCopy.notification });

  // --- an @mention: the message names alice ---
  const mention = received(alice, (m) => m.to === groupID && m.payload.text === '@alice look');
  await bob.tim.sendMessage(bob.tim.createTextAtMessage({
    to: groupID, conversationType: TYPES.CONV_GROUP,
    payload: { text: '@alice look', atUserList: ['alice'] },
  }));
  record('mention', (await mention).atUserList);

  // --- members ---
  const listed = (await alice.tim.getGroupMemberList({ groupID, count: 30, offset: 0 })).data;
  record('members', listed.memberList.map((m) => ({ userID: m.userID, role: m.role })));

  // --- a mute: bob is told by a tip and cannot send ---
  const muteTip = received(bob, tipOf(groupID, TYPES.GRP_TIP_MBR_PROFILE_UPDATED));
  const muted = await alice.tim.setGroupMemberMuteTime({ groupID, userID: 'bob', muteTime: 600 });
  record('muted', { userID: muted.data.member.userID, muteUntil: muted.data.member.muteUntil });
  const mute = await muteTip;
  record('muteTip', mute.payload.memberList.map((m) => ({ userID: m.userID, muteTime: m.muteTime })));
  record('mutedSend', await failure(text(bob, groupID, 'may I?')));

  // --- a role change: carol becomes an admin (a tip to all, a notice to her) ---
  const adminTip = received(bob, tipOf(groupID, TYPES.GRP_TIP_MBR_SET_ADMIN));
  const adminNotice = received(carol, noticeOf(groupID, 9));
  const promoted = await alice.tim.setGroupMemberRole({
    groupID, userID: 'carol', role: TYPES.GRP_MBR_ROLE_ADMIN,
  });
  record('promoted', promoted.data.member.role);
  record('adminTip', (await adminTip).payload.userIDList);
  const notice = await adminNotice;
  record('adminNotice', { conversationID: notice.conversationID, from: notice.from });

  // --- a recall: alice recalls her m18; bob sees it recalled ---
  record('aliceUnreadBeforeRecall', (await conversation(alice, conversationID)).unreadCount);
  const history = (await alice.tim.getMessageList({ conversationID })).data.messageList;
  const mine = history.find((m) => m.payload.text === 'm18');
  const recalledAtBob = bob.next(EVENT.MESSAGE_REVOKED);
  await alice.tim.revokeMessage(mine);
  const recalled = await recalledAtBob;
  record('recalled', recalled.map((m) => ({ ID: m.ID, isRevoked: m.isRevoked })));
  record('recalledID', mine.ID);

  // --- a kick: bob is told by a notice and loses the group; carol sees the tip ---
  const kickTip = received(carol, tipOf(groupID, TYPES.GRP_TIP_MBR_KICKED_OUT));
  const kickNotice = received(bob, noticeOf(groupID, 4));
  await alice.tim.deleteGroupMember({ groupID, userIDList: ['bob'], reason: 'enough' });
  record('kickTip', (await kickTip).payload.userIDList);
  record('kickNotice', (await kickNotice).payload.handleMessage);
  await bob.next(EVENT.GROUP_LIST_UPDATED, (list) => !list.some((g) => g.groupID === groupID));
  record('bobGroupsAfterKick', (await bob.tim.getGroupList()).data.groupList.map((g) => g.groupID));
  record('kickedSend', await failure(text(bob, groupID, 'still here?')));

  // --- carol quits: alice sees the tip ---
  const quitTip = received(alice, tipOf(groupID, TYPES.GRP_TIP_MBR_QUIT));
  await carol.tim.quitGroup(groupID);
  const quit = await quitTip;
  record('quitTip', { operatorID: quit.payload.operatorID, memberNum: quit.payload.memberNum });

  // --- the same unread count in alice's SDK and in a fresh login's conversation list,
  // whose last message, a tip, shows as one ---
  const aliceSees = await conversation(alice, conversationID);
  const again = userOf(config, 'alice');
  await again.login();
  const listedAgain = (await again.tim.getConversationList()).data.conversationList
    .find((c) => c.conversationID === conversationID);
  const last = listedAgain.lastMessage;
  record('aliceUnread', { live: aliceSees.unreadCount, listed: listedAgain.unreadCount });
  record('lastTip', {
    type: last.type, operationType: last.payload.operationType,
    userIDList: last.payload.userIDList, groupID: last.payload.groupProfile.groupID,
    fromAccount: last.fromAccount, messageForShow: last.messageForShow,
  });

  // --- a second group, dismissed: its member gets the notice and loses it ---
  const other = (await alice.tim.createGroup({ type: TYPES.GRP_PUBLIC, name: 'Short-lived' }))
    .data.group.groupID;
  await bob.tim.joinGroup({ groupID: other });
  const dismissNotice = received(bob, noticeOf(other, 5));
  await alice.tim.dismissGroup(other);
  record('dismissNotice', (await dismissNotice).payload.operatorID);
  await bob.next(EVENT.GROUP_LIST_UPDATED, (list) => !list.some((g) => g.groupID === other));
  record('bobGroupsAfterDismiss', (await bob.tim.getGroupList()).data.groupList.map((g) => g.groupID));
  record('gone', await failure(bob.tim.getGroupProfile({ groupID: other })));
});
