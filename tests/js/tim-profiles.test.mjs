// The SDK facade's profile and blacklist methods against a fake server: TIM's result
// shapes, the calls refused before anything is sent, and that PROFILE_UPDATED,
// BLACKLIST_UPDATED and our own updates leave the SDK's state as a fresh read would
// (STYLE.md: apply the pushes to what the SDK held, compare with a fresh read).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {FakeServer, fakeUploads, readyTIM, serverError, settle} from './fakeserver.mjs';
import TIM from '../../static/im/tim.js';

let appID = 1400000400;

/** The server's Profile of `userID`, with `fields` changed. */
const profileOf = (userID, fields = {}) => ({
  userID,
  nick: userID[0].toUpperCase() + userID.slice(1),
  gender: 'Gender_Type_Unknown',
  birthday: 0,
  location: '',
  selfSignature: '',
  allowType: 'AllowType_Type_AllowAny',
  language: 0,
  avatar: '',
  messageSettings: 0,
  adminForbidType: 'AdminForbid_Type_None',
  level: 0,
  role: 0,
  lastUpdatedTime: 0,
  profileCustomField: [],
  ...fields,
});

/** A message as the server sends it to alice. */
function wireMessage(conversationID, sequence, from, profile) {
  const group = conversationID.startsWith('GROUP');
  const peer = conversationID.replace(/^(C2C|GROUP)/, '');
  return {
    ID: `${from}-${sequence}`,
    type: 'TIMTextElem',
    payload: {text: `#${sequence}`},
    conversationID,
    conversationType: group ? 'GROUP' : 'C2C',
    to: group ? peer : from === 'alice' ? peer : 'alice',
    from,
    flow: from === 'alice' ? 'out' : 'in',
    time: 1000 + sequence,
    status: 'success',
    sequence,
    random: sequence,
    clientTime: 1000 + sequence,
    nick: profile.nick,
    avatar: profile.avatar,
    nameCard: '',
    isRevoked: false,
    revoker: null,
    cloudCustomData: '',
    changeSequence: sequence,
  };
}

/**
 * The fake server's state: profiles, the blacklist, and what the lists and history
 * show, always derived from the profiles as the real server derives them.
 */
function world() {
  const profiles = {alice: profileOf('alice'), bob: profileOf('bob', {avatar: 'https://x/b.png'}), carol: profileOf('carol')};
  const history = {
    C2Cbob: [['bob', 1], ['alice', 2], ['bob', 3]],
    GROUPg1: [['carol', 1], ['bob', 2]],
    C2Ccarol: [['carol', 1], ['alice', 2]],
  };
  const messages = (id) => history[id].map(([from, seq]) => wireMessage(id, seq, from, profiles[from]));
  const conversations = () =>
    Object.keys(history).map((id) => {
      const last = messages(id).at(-1);
      const group = id.startsWith('GROUP');
      return {
        conversationID: id,
        type: group ? 'GROUP' : 'C2C',
        unreadCount: 0,
        lastMessage: {
          lastTime: last.time,
          lastSequence: last.sequence,
          fromAccount: last.from,
          messageForShow: last.payload.text,
          payload: last.payload,
          type: last.type,
          isRevoked: false,
          revoker: null,
          nick: last.nick,
          avatar: last.avatar,
          cloudCustomData: '',
        },
        userProfile: group ? null : structuredClone(profiles[id.slice(3)]),
        groupProfile: group ? {groupID: 'g1', name: 'G1', type: 'Public', avatar: ''} : null,
        isPinned: false,
        messageRemindType: group ? 'AcceptAndNotify' : '',
        changeSequence: last.sequence,
      };
    });
  return {profiles, messages, conversations, blacklist: []};
}

async function ready() {
  const server = new FakeServer();
  const w = world();
  server.handlers.getConversationList = () => ({conversationList: w.conversations(), isSyncCompleted: true});
  server.handlers.getMessageList = ({conversationID}) => ({
    messageList: w.messages(conversationID),
    nextReqMessageID: '',
    isCompleted: true,
  });
  server.handlers.getMyProfile = () => ({profile: structuredClone(w.profiles.alice)});
  server.handlers.getUserProfile = ({userIDList}) => ({
    profileList: [...new Set(userIDList)].filter((id) => w.profiles[id]).map((id) => structuredClone(w.profiles[id])),
  });
  server.handlers.updateMyProfile = (data) => {
    const changes = {...data, lastUpdatedTime: 2000};
    if (typeof data.avatar === 'object') changes.avatar = `https://media/${data.avatar.uuid}.jpg?sig=1`;
    Object.assign(w.profiles.alice, changes);
    return {profile: structuredClone(w.profiles.alice)};
  };
  server.handlers.getBlacklist = () => [...w.blacklist];
  server.handlers.addToBlacklist = ({userIDList}) => {
    for (const id of userIDList) {
      if (!w.profiles[id]) throw serverError(30003, `no account ${id}`);
    }
    w.blacklist = [...new Set([...w.blacklist, ...userIDList])];
    return [...w.blacklist];
  };
  server.handlers.removeFromBlacklist = ({userIDList}) => {
    w.blacklist = w.blacklist.filter((id) => !userIDList.includes(id));
    return [...w.blacklist];
  };
  return {server, w, ...(await readyTIM(appID++))};
}

/** The whole of what the SDK shows: the conversation list and each conversation's history. */
async function shown(tim, {fresh}) {
  const conversationList = fresh
    ? (await tim.getConversationList()).data.conversationList
    : null;
  const histories = {};
  for (const id of ['C2Cbob', 'GROUPg1', 'C2Ccarol']) {
    const list = fresh
      ? (await tim.getMessageList({conversationID: id})).data.messageList
      : null;
    histories[id] = list;
  }
  return {conversationList: structuredClone(conversationList), histories: structuredClone(histories)};
}

test('getMyProfile and getUserProfile resolve with TIM\'s shapes (a Profile, an array)', async () => {
  const {server, tim} = await ready();
  const mine = await tim.getMyProfile();
  assert.equal(mine.code, 0);
  assert.deepEqual(mine.data, profileOf('alice'));
  assert.equal(mine.data.gender, TIM.TYPES.GENDER_UNKNOWN);
  assert.equal(mine.data.allowType, TIM.TYPES.ALLOW_TYPE_ALLOW_ANY);
  assert.equal(mine.data.adminForbidType, TIM.TYPES.FORBID_TYPE_NONE);
  // Held from then on: a second read asks nobody.
  assert.deepEqual((await tim.getMyProfile()).data, mine.data);
  assert.equal(server.sent('getMyProfile').length, 1);

  const users = await tim.getUserProfile({userIDList: ['carol', 'nobody', 'bob']});
  assert.equal(users.code, 0);
  assert.deepEqual(users.data.map((p) => p.userID), ['carol', 'bob']);
  assert.deepEqual(users.data[1], profileOf('bob', {avatar: 'https://x/b.png'}));

  // TIM reads the first 100 userIDs only.
  const many = Array.from({length: 130}, (_, i) => `u${i}`);
  await tim.getUserProfile({userIDList: many});
  assert.deepEqual(server.sent('getUserProfile').at(-1), {userIDList: many.slice(0, 100)});
  assert.throws(() => tim.getUserProfile({userIDList: 'bob'}), /Params validate failed/);
  assert.throws(() => tim.getUserProfile({userIDList: [7]}), /Params validate failed/);
  assert.throws(() => tim.getUserProfile(), /Params validate failed/);
  await tim.destroy();
});

test('updateMyProfile refuses an empty update (2722) and an unknown field (2721) without asking', async () => {
  const {server, tim} = await ready();
  const refused = async (options, code) => {
    const error = await tim.updateMyProfile(options).then(() => null, (e) => e);
    assert.equal(error?.code, code, JSON.stringify(options));
    assert.equal(error.code, code === 2722 ? TIM.ERROR.PROFILE_NOTHING_TO_UPDATE : error.code);
  };
  await refused({}, 2722);
  await refused({nick: undefined, onProgress: () => {}}, 2722);
  await refused({nick: 'A', nickname: 'A'}, 2721);
  await refused({profileCustomField: {key: 'Tag_Profile_Custom_x', value: '1'}}, 2721);
  await refused({profileCustomField: ['x']}, 2721);
  // An avatar file TIM's image rules refuse.
  await refused({avatar: {files: []}}, 2251);
  await refused({avatar: new File(['%PDF'], 'a.pdf', {type: 'application/pdf'})}, 2252);
  await refused({avatar: new File([], 'a.png', {type: 'image/png'})}, 2108);
  await refused({avatar: new File([new Uint8Array(10 * 1024 * 1024 + 1)], 'a.png', {type: 'image/png'})}, 2253);
  assert.equal(server.sent('updateMyProfile').length, 0);
  assert.equal(server.sent('createUpload').length, 0);
  assert.throws(() => tim.updateMyProfile('nick'), /Params validate failed/);

  // The values are the server's to judge; its code comes back unchanged.
  server.handlers.updateMyProfile = () => {
    throw serverError(40601, 'nick is 501 bytes; at most 500');
  };
  const error = await tim.updateMyProfile({nick: 'x'.repeat(501)}).then(() => null, (e) => e);
  assert.equal(error.code, TIM.ERROR.PROFILE_VALUE_TOO_LONG);
  await tim.destroy();
});

test('updateMyProfile sends TIM\'s fields, resolves with the Profile and updates what the SDK holds', async () => {
  const {server, tim, w, named} = await ready();
  await shown(tim, {fresh: true}); // the page has the list and every history
  const held = (await tim.getMessageList({conversationID: 'C2Cbob'})).data.messageList;
  const mine = held.find((m) => m.from === 'alice');
  await settle(250); // the reads' own announcement
  const before = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).length;

  const fields = {
    nick: 'Alice L.',
    gender: TIM.TYPES.GENDER_FEMALE,
    allowType: TIM.TYPES.ALLOW_TYPE_NEED_CONFIRM,
    selfSignature: 'hi',
    birthday: 19900101,
    profileCustomField: [{key: 'Tag_Profile_Custom_city', value: 'Beijing'}],
  };
  const {code, data} = await tim.updateMyProfile(fields);
  assert.equal(code, 0);
  assert.deepEqual(server.sent('updateMyProfile'), [fields]);
  assert.deepEqual(data, w.profiles.alice);
  assert.equal(data.nick, 'Alice L.');

  // The acting connection gets no push: its answer told the page, and the SDK's state.
  assert.deepEqual(named(TIM.EVENT.PROFILE_UPDATED).map((e) => e.data), [[data]]);
  assert.deepEqual((await tim.getMyProfile()).data, data);
  assert.equal(server.sent('getMyProfile').length, 0);
  assert.equal(mine.nick, 'Alice L.', 'a message the page holds shows the new nick');
  await settle(250);
  assert.equal(named(TIM.EVENT.CONVERSATION_LIST_UPDATED).length, before + 1);
  const announced = structuredClone(named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data);
  assert.equal(announced.find((c) => c.conversationID === 'C2Cbob').lastMessage.nick, 'Bob');
  assert.equal(announced.find((c) => c.conversationID === 'C2Ccarol').lastMessage.nick, 'Alice L.');
  const fresh = await shown(tim, {fresh: true});
  assert.deepEqual(fresh.conversationList, announced);

  // A message made now carries the new nick.
  const next = tim.createTextMessage({to: 'bob', conversationType: 'C2C', payload: {text: 'x'}});
  assert.equal(next.nick, 'Alice L.');
  await tim.destroy();
});

test('PROFILE_UPDATED from a peer: the conversation, last messages and held messages show it', async () => {
  const {server, tim, w, named} = await ready();
  const before = await shown(tim, {fresh: true});
  const held = {};
  for (const id of ['C2Cbob', 'GROUPg1']) {
    held[id] = (await tim.getMessageList({conversationID: id})).data.messageList;
  }
  await settle(250); // the reads' own announcement
  const lists = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).length;

  // What the server then holds, and the push it sends.
  Object.assign(w.profiles.bob, {nick: 'Bobby', avatar: 'https://x/b2.png', lastUpdatedTime: 3000});
  server.push('PROFILE_UPDATED', [structuredClone(w.profiles.bob)]);
  await settle(250);
  assert.deepEqual(named(TIM.EVENT.PROFILE_UPDATED).at(-1).data, [w.profiles.bob]);
  assert.equal(named(TIM.EVENT.CONVERSATION_LIST_UPDATED).length, lists + 1);

  // Applied to what the SDK held before ...
  const pushed = structuredClone(named(TIM.EVENT.CONVERSATION_LIST_UPDATED).at(-1).data);
  const heldNow = structuredClone(held);
  // ... it equals a fresh read.
  const fresh = await shown(tim, {fresh: true});
  assert.deepEqual(pushed, fresh.conversationList);
  assert.deepEqual(heldNow, {C2Cbob: fresh.histories.C2Cbob, GROUPg1: fresh.histories.GROUPg1});
  assert.notDeepEqual(before.conversationList, fresh.conversationList, 'the push changed something');
  const bob = pushed.find((c) => c.conversationID === 'C2Cbob');
  assert.equal(bob.userProfile.nick, 'Bobby');
  assert.equal(bob.userProfile.avatar, 'https://x/b2.png');
  assert.equal(pushed.find((c) => c.conversationID === 'GROUPg1').lastMessage.nick, 'Bobby');
  assert.equal(held.C2Cbob[0].avatar, 'https://x/b2.png');
  assert.equal(held.C2Cbob[1].nick, 'Alice', 'only his messages');

  // A profile nobody here shows: told, nothing to announce.
  await settle(250);
  const after = named(TIM.EVENT.CONVERSATION_LIST_UPDATED).length;
  server.push('PROFILE_UPDATED', [profileOf('dave', {nick: 'D'})]);
  await settle(250);
  assert.equal(named(TIM.EVENT.PROFILE_UPDATED).at(-1).data[0].userID, 'dave');
  assert.equal(named(TIM.EVENT.CONVERSATION_LIST_UPDATED).length, after);
  await tim.destroy();
});

test('PROFILE_UPDATED about ourselves (another tab): getMyProfile and new messages show it', async () => {
  const {server, tim, w} = await ready();
  assert.equal((await tim.getMyProfile()).data.nick, 'Alice');
  Object.assign(w.profiles.alice, {nick: 'Ally', lastUpdatedTime: 5});
  server.push('PROFILE_UPDATED', [structuredClone(w.profiles.alice)]);
  await settle();
  assert.deepEqual((await tim.getMyProfile()).data, w.profiles.alice);
  assert.equal(server.sent('getMyProfile').length, 1, 'served from the push');
  const message = tim.createTextMessage({to: 'bob', conversationType: 'C2C', payload: {text: 'x'}});
  assert.equal(message.nick, 'Ally');
  await tim.destroy();
});

test('an avatar file is uploaded (createUpload kind avatar → PUT → finishUpload), then sent as {uuid}', async () => {
  const {server, tim, w, named} = await ready();
  const puts = [];
  globalThis.XMLHttpRequest = class {
    upload = {};
    headers = {};
    open(method, url) {
      Object.assign(this, {method, url});
    }
    setRequestHeader(name, value) {
      this.headers[name] = value;
    }
    send(body) {
      puts.push(this);
      this.body = body;
      queueMicrotask(() => {
        this.upload.onprogress?.({loaded: body.size / 2});
        Object.assign(this, {status: 204, responseText: ''});
        this.onload();
      });
    }
  };
  fakeUploads(server, () => ({kind: 'avatar', width: 256, height: 256}));
  const picture = new File([new Uint8Array(2000)], 'me.png', {type: 'image/png'});
  const progress = [];
  const {data} = await tim.updateMyProfile({avatar: {files: [picture]}, nick: 'A', onProgress: (p) => progress.push(p)});
  assert.deepEqual(server.sent('createUpload'), [
    {kind: 'avatar', fileName: 'me.png', fileSize: 2000, contentType: 'image/png'},
  ]);
  assert.equal(puts.length, 1);
  assert.equal(puts[0].url, 'http://hutong.test:8000/im/uploads/?t=1');
  assert.equal(puts[0].body, picture);
  assert.deepEqual(server.sent('finishUpload'), [{uuid: 'u1'}]);
  assert.deepEqual(server.sent('updateMyProfile'), [{nick: 'A', avatar: {uuid: 'u1'}}]);
  assert.deepEqual(progress, [0, 0.5, 1]);
  assert.equal(data.avatar, 'https://media/u1.jpg?sig=1');
  assert.deepEqual(named(TIM.EVENT.PROFILE_UPDATED).at(-1).data, [w.profiles.alice]);

  // A failed upload sends no update.
  server.handlers.finishUpload = () => {
    throw serverError(2252, 'not an image');
  };
  const error = await tim.updateMyProfile({avatar: picture}).then(() => null, (e) => e);
  assert.equal(error.code, 2252);
  assert.equal(server.sent('updateMyProfile').length, 1);

  // A string is TIM's URL, sent as it is.
  await tim.updateMyProfile({avatar: 'https://x/a.png'});
  assert.deepEqual(server.sent('updateMyProfile').at(-1), {avatar: 'https://x/a.png'});
  await tim.destroy();
});

test('the blacklist: TIM\'s arrays, held once read, replaced by answers and BLACKLIST_UPDATED', async () => {
  const {server, tim, w, named} = await ready();
  assert.deepEqual(await tim.getBlacklist(), {code: 0, data: []});
  assert.deepEqual(await tim.addToBlacklist({userIDList: ['bob', 'carol']}), {code: 0, data: ['bob', 'carol']});
  assert.deepEqual(server.sent('addToBlacklist'), [{userIDList: ['bob', 'carol']}]);
  // Our own change is told to the page as another tab's would be.
  assert.deepEqual(named(TIM.EVENT.BLACKLIST_UPDATED).map((e) => e.data), [['bob', 'carol']]);
  assert.deepEqual((await tim.getBlacklist()).data, ['bob', 'carol']);
  assert.equal(server.sent('getBlacklist').length, 1, 'served from what the answer said');

  const {data} = await tim.removeFromBlacklist({userIDList: ['bob', 'nobody']});
  assert.deepEqual(data, ['carol']);
  // Nothing changed: nothing to tell.
  await tim.removeFromBlacklist({userIDList: ['bob']});
  assert.equal(named(TIM.EVENT.BLACKLIST_UPDATED).length, 2);

  // Another tab blocks dave: the push is the whole list, and what the SDK holds is a fresh read.
  w.profiles.dave = profileOf('dave');
  w.blacklist = ['carol', 'dave'];
  server.push('BLACKLIST_UPDATED', ['carol', 'dave']);
  await settle();
  assert.deepEqual(named(TIM.EVENT.BLACKLIST_UPDATED).at(-1).data, ['carol', 'dave']);
  const held = (await tim.getBlacklist()).data;
  server.handlers.getBlacklist = () => [...w.blacklist];
  assert.deepEqual(held, w.blacklist);

  // Refused here with TIM's codes, or the server's.
  const self = await tim.addToBlacklist({userIDList: ['bob', 'alice']}).then(() => null, (e) => e);
  assert.equal(self.code, TIM.ERROR.BLACKLIST_SELF);
  const unknown = await tim.addToBlacklist({userIDList: ['zed']}).then(() => null, (e) => e);
  assert.equal(unknown.code, 30003);
  assert.deepEqual(server.sent('addToBlacklist').length, 2, 'the self-block never went out');
  assert.throws(() => tim.addToBlacklist({userIDList: 'bob'}), /Params validate failed/);
  assert.throws(() => tim.removeFromBlacklist({}), /Params validate failed/);
  await tim.destroy();
});

test('before SDK_READY the profile methods reject with the not-ready code', async () => {
  const tim = TIM.create({SDKAppID: appID++, proxyServer: 'ws://hutong.test/ws/im/'});
  tim.setLogLevel(4);
  for (const call of [
    () => tim.getMyProfile(),
    () => tim.getUserProfile({userIDList: ['bob']}),
    () => tim.updateMyProfile({nick: 'x'}),
    () => tim.getBlacklist(),
    () => tim.addToBlacklist({userIDList: ['bob']}),
    () => tim.removeFromBlacklist({userIDList: ['bob']}),
  ]) {
    const error = await call().then(() => null, (e) => e);
    assert.equal(error.code, TIM.ERROR.NOT_LOGGED_IN);
  }
  await tim.destroy();
});

test('after a reconnect the held profile and blacklist are read again (a push may have been missed)', async () => {
  const {server, tim, w, named} = await ready();
  await tim.getMyProfile();
  await tim.getBlacklist();
  // Changed by another tab while this connection was down: the pushes never came.
  server.socket.close(1006);
  Object.assign(w.profiles.alice, {nick: 'Away'});
  w.blacklist = ['bob'];
  const connected = named(TIM.EVENT.NET_STATE_CHANGE).length;
  for (let i = 0; i < 40 && named(TIM.EVENT.NET_STATE_CHANGE).slice(connected).at(-1)?.data.state !== 'connected'; i++) {
    await settle(50);
  }
  assert.equal(server.sockets.length, 2, 'reconnected');
  assert.equal((await tim.getMyProfile()).data.nick, 'Away');
  assert.deepEqual((await tim.getBlacklist()).data, ['bob']);
  assert.equal(server.sent('getMyProfile').length, 2);
  assert.equal(server.sent('getBlacklist').length, 2);
  await tim.destroy();
});

test('a read whose answer was taken before a push keeps the push\'s newer state', async () => {
  const {server, tim, w} = await ready();
  // The server reads, then another tab changes it and the push overtakes the answer.
  server.handlers.getBlacklist = () => {
    const read = [...w.blacklist];
    w.blacklist = ['bob'];
    server.push('BLACKLIST_UPDATED', ['bob']);
    return read;
  };
  server.handlers.getMyProfile = () => {
    const read = structuredClone(w.profiles.alice);
    Object.assign(w.profiles.alice, {nick: 'Newer'});
    server.push('PROFILE_UPDATED', [structuredClone(w.profiles.alice)]);
    return {profile: read};
  };
  assert.deepEqual((await tim.getBlacklist()).data, [], 'the answer is the answer');
  assert.deepEqual((await tim.getBlacklist()).data, ['bob'], 'what is held is the push');
  assert.equal((await tim.getMyProfile()).data.nick, 'Alice');
  assert.equal((await tim.getMyProfile()).data.nick, 'Newer');
  assert.equal(server.sent('getBlacklist').length, 1);
  assert.equal(server.sent('getMyProfile').length, 1);
  await tim.destroy();
});
