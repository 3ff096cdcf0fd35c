// One group, two SDKs (tests/test_timsdk_groups.py): alice on Tencent's tim-js-sdk over
// TIM's wire protocol, bob on Hutong's own tim.js over /ws/im/. Messages and tips each
// way, a notice from Hutong's side, and both sides' unread counts.
import WebSocket from 'ws';
import HutongTIM from '../../static/im/tim.js';
import { run, userOf } from './sdk.mjs';

// The page events Hutong's tim.js listens to (sdk.mjs stands in for the rest of a page).
globalThis.document.addEventListener ??= () => {};
globalThis.document.visibilityState ??= 'visible';
// A browser hands a socket's messages over one task each, its promises settling in
// between; `ws` by default emits the messages of one read back to back. Hutong's tim.js
// counts on the browser's order (its login answer settles before the next push).
globalThis.WebSocket = class extends WebSocket {
  constructor(url, protocols, options) {
    super(url, protocols, { allowSynchronousEvents: false, ...options });
  }
};

run(async (config, record) => {
  const alice = userOf(config, 'alice');
  const bob = userOf(config, 'bob', { proxyServer: config.hutongServer, TIM: HutongTIM });
  const { TYPES, EVENT } = alice.TIM;
  const received = async (user, test) => {
    const list = await user.next(user.TIM.EVENT.MESSAGE_RECEIVED, (l) => l.some(test));
    return list.find(test);
  };
  const say = (user, words) => user.tim.sendMessage(user.tim.createTextMessage({
    to: 'mixed', conversationType: TYPES.CONV_GROUP, payload: { text: words },
  }));
  const tip = (operationType) => (m) =>
    m.type === TYPES.MSG_GRP_TIP && m.to === 'mixed' && m.payload.operationType === operationType;
  const unread = async (user) =>
    (await user.tim.getConversationProfile('GROUPmixed')).data.conversation.unreadCount;

  await alice.login();
  await bob.login();

  // bob (Hutong) makes the group, alice (TIM) joins: bob sees her join tip.
  await bob.tim.createGroup({ type: TYPES.GRP_PUBLIC, name: 'Mixed', groupID: 'mixed' });
  const joinTip = received(bob, tip(TYPES.GRP_TIP_MBR_JOIN));
  record('joined', (await alice.tim.joinGroup({ groupID: 'mixed' })).data.status);
  record('joinTipAtBob', (await joinTip).payload.userIDList);

  // Messages both ways: one message, one ID.
  const atAlice = received(alice, (m) => m.payload.text === 'from hutong');
  const bobSent = (await say(bob, 'from hutong')).data.message;
  const aliceGot = await atAlice;
  record('toAlice', { same: aliceGot.ID === bobSent.ID, sequence: aliceGot.sequence === bobSent.sequence, from: aliceGot.from });
  const atBob = received(bob, (m) => m.payload.text === 'from tim');
  const aliceSent = (await say(alice, 'from tim')).data.message;
  const bobGot = await atBob;
  record('toBob', { same: bobGot.ID === aliceSent.ID, sequence: bobGot.sequence === aliceSent.sequence, from: bobGot.from });

  // A tip from Hutong's side: bob mutes alice, then lifts it.
  const muteTip = received(alice, tip(TYPES.GRP_TIP_MBR_PROFILE_UPDATED));
  await bob.tim.setGroupMemberMuteTime({ groupID: 'mixed', userID: 'alice', muteTime: 60 });
  record('muteAtAlice', (await muteTip).payload.memberList);
  const refused = await say(alice, 'muted?').then(() => 0, (error) => error.code);
  record('mutedSend', refused);
  const unmuteTip = received(alice, (m) => tip(TYPES.GRP_TIP_MBR_PROFILE_UPDATED)(m) &&
    m.payload.memberList[0].muteTime === 0);
  await bob.tim.setGroupMemberMuteTime({ groupID: 'mixed', userID: 'alice', muteTime: 0 });
  await unmuteTip;

  // A tip from TIM's side: alice names herself in the group.
  const cardTip = received(bob, (m) => tip(TYPES.GRP_TIP_MBR_PROFILE_UPDATED)(m) &&
    m.payload.memberList[0].nameCard === 'Ali');
  await alice.tim.setGroupMemberNameCard({ groupID: 'mixed', nameCard: 'Ali' });
  record('cardAtBob', (await cardTip).payload.memberList);

  // Unread: each side has the other's message and tips (its own are not unread).
  record('unread', { alice: await unread(alice), bob: await unread(bob) });
  await alice.tim.setMessageRead({ conversationID: 'GROUPmixed' });
  await bob.tim.setMessageRead({ conversationID: 'GROUPmixed' });
  record('unreadAfterRead', { alice: await unread(alice), bob: await unread(bob) });

  // A notice from Hutong's side: bob removes alice, whose SDK drops the group.
  const kicked = received(alice, (m) => m.type === TYPES.MSG_GRP_SYS_NOTICE &&
    m.payload.operationType === 4);
  await bob.tim.deleteGroupMember({ groupID: 'mixed', userIDList: ['alice'] });
  const notice = await kicked;
  record('kickedAtAlice', { operatorID: notice.payload.operatorID, conversationID: notice.conversationID });
  await alice.next(EVENT.GROUP_LIST_UPDATED, (list) => !list.some((g) => g.groupID === 'mixed'));
  record('aliceGroups', (await alice.tim.getGroupList()).data.groupList.map((g) => g.groupID));
  await bob.tim.logout();
});
