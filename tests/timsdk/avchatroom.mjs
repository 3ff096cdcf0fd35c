// An AVChatRoom through Tencent's SDK (tests/test_timsdk_groups.py): alice creates it
// and, as TIM has it, joins it like anyone; bob joins; they talk by pushes (the SDK
// polls nothing: Hutong names no LongPollingKey).
import { run, userOf } from './sdk.mjs';

run(async (config, record) => {
  const alice = userOf(config, 'alice');
  const bob = userOf(config, 'bob');
  const { TYPES, EVENT } = alice.TIM;
  const say = (user, text) => user.tim.sendMessage(user.tim.createTextMessage({
    to: 'live', conversationType: TYPES.CONV_GROUP, payload: { text },
  }));
  const heard = (user, text) => user.next(
    EVENT.MESSAGE_RECEIVED, (list) => list.some((m) => m.payload.text === text));

  await alice.login();
  await bob.login();
  const created = await alice.tim.createGroup({
    type: TYPES.GRP_AVCHATROOM, name: 'Live', groupID: 'live',
  });
  record('created', { code: created.code, type: created.data.group.type });
  record('aliceJoin', (await alice.tim.joinGroup({ groupID: 'live' })).data.status);
  record('bobJoin', (await bob.tim.joinGroup({ groupID: 'live' })).data.status);

  const atAlice = heard(alice, 'on air');
  const sent = (await say(bob, 'on air')).data.message;
  const got = (await atAlice).find((m) => m.payload.text === 'on air');
  record('toAlice', { same: got.ID === sent.ID, from: got.from, conversationID: got.conversationID });
  const atBob = heard(bob, 'back');
  await say(alice, 'back');
  record('toBob', (await atBob).find((m) => m.payload.text === 'back').from);
  record('bobGroups', (await bob.tim.getGroupList()).data.groupList.map((g) => g.groupID));
});
