// Profiles and the blacklist without a socket: TIM's Profile, what updateMyProfile
// refuses before asking, the avatar upload, what the SDK holds between reads, and what
// a profile change does to the conversation list and held messages (applied to what
// was held, it must equal a fresh snapshot: STYLE.md's verify_action habit).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_USER_PROFILES,
  MY_PROFILE_MAX_AGE_MS,
  PROFILE_FIELDS,
  ProfileState,
  blacklistOf,
  makeProfile,
  profileUpdate,
  profilesOf,
} from '../../static/im/tim/profiles.js';
import {AVATAR_RULE, MB, MediaUploads, checkFile} from '../../static/im/tim/upload.js';
import {ConversationList} from '../../static/im/tim/conversations.js';
import {MessageStore} from '../../static/im/tim/store.js';
import {TYPES} from '../../static/im/tim/constants.js';
import {ERROR} from '../../static/im/tim/errors.js';
import {codeOf} from './asserts.mjs';

const png = (size = 100) => new File([new Uint8Array(size)], 'me.png', {type: 'image/png'});

test('a Profile has every TIM field, with TIM\'s defaults for what the server left out', () => {
  const profile = makeProfile({userID: 'bob', nick: 'Bob', location: null, profileCustomField: [{key: 'k', value: 'v'}]});
  assert.deepEqual(Object.keys(profile).sort(), [
    'adminForbidType', 'allowType', 'avatar', 'birthday', 'gender', 'language', 'lastUpdatedTime',
    'level', 'location', 'messageSettings', 'nick', 'profileCustomField', 'role', 'selfSignature', 'userID',
  ]);
  assert.equal(profile.gender, TYPES.GENDER_UNKNOWN);
  assert.equal(profile.allowType, TYPES.ALLOW_TYPE_ALLOW_ANY);
  assert.equal(profile.adminForbidType, TYPES.FORBID_TYPE_NONE);
  assert.equal(profile.location, '');
  assert.deepEqual(profile.profileCustomField, [{key: 'k', value: 'v'}]);
  assert.deepEqual(makeProfile(undefined).profileCustomField, []);
  assert.deepEqual(profilesOf([{userID: 'a'}, null, {nick: 'no id'}, 'x']).map((p) => p.userID), ['a']);
  assert.deepEqual(profilesOf(null), []);
  assert.deepEqual(blacklistOf(['a', 3, 'b']), ['a', 'b']);
  assert.deepEqual(blacklistOf({}), []);
  assert.equal(MAX_USER_PROFILES, 100);
});

test('updateMyProfile\'s fields: TIM\'s names go out as given; 2722 for none, 2721 for others', () => {
  const all = Object.fromEntries(PROFILE_FIELDS.map((f) => [f, f === 'profileCustomField' ? [] : 'x']));
  assert.deepEqual(profileUpdate(all).fields, all);
  const onProgress = () => {};
  assert.deepEqual(profileUpdate({nick: 'A', gender: TYPES.GENDER_MALE, location: undefined, onProgress}), {
    fields: {nick: 'A', gender: 'Gender_Type_Male'},
    avatarFile: null,
    onProgress,
  });
  // Values are the server's to judge (40601, 40603, 40604, 40009).
  assert.deepEqual(profileUpdate({birthday: 'soon', nick: 7}).fields, {birthday: 'soon', nick: 7});
  assert.deepEqual(profileUpdate({profileCustomField: [{key: 'bad', value: 1}]}).fields, {
    profileCustomField: [{key: 'bad', value: 1}],
  });
  assert.equal(codeOf(() => profileUpdate({})), ERROR.PROFILE_NOTHING_TO_UPDATE);
  assert.equal(codeOf(() => profileUpdate({onProgress, nick: undefined})), 2722);
  assert.equal(codeOf(() => profileUpdate({nick: 'A', faceUrl: 'x'})), ERROR.PROFILE_UNKNOWN_FIELD);
  assert.equal(codeOf(() => profileUpdate({profileCustomField: 'x'})), 2721);
  assert.equal(codeOf(() => profileUpdate({profileCustomField: [null]})), 2721);
});

test('an avatar: a URL or an upload\'s uuid goes out as it is; a file is checked as a picture', () => {
  assert.deepEqual(profileUpdate({avatar: 'https://x/a.png'}).fields, {avatar: 'https://x/a.png'});
  assert.deepEqual(profileUpdate({avatar: ''}).fields, {avatar: ''});
  assert.deepEqual(profileUpdate({avatar: {uuid: 'u1'}}).fields, {avatar: {uuid: 'u1'}});
  const picture = png(2000);
  for (const avatar of [picture, {files: [picture]}, {file: picture}]) {
    const {fields, avatarFile} = profileUpdate({avatar, nick: 'A'});
    assert.deepEqual(fields, {nick: 'A'}, 'the uuid is known only after the upload');
    assert.equal(avatarFile.file, picture);
    assert.deepEqual(
      [avatarFile.kind, avatarFile.fileName, avatarFile.fileSize, avatarFile.contentType],
      ['avatar', 'me.png', 2000, 'image/png'],
    );
  }
  // An avatar alone is something to update.
  assert.equal(profileUpdate({avatar: picture}).avatarFile.file, picture);
  assert.equal(codeOf(() => profileUpdate({avatar: {files: []}})), ERROR.IMAGE_NOT_SELECTED);
  const pdf = new File(['%PDF'], 'a.pdf', {type: 'application/pdf'});
  assert.equal(codeOf(() => profileUpdate({avatar: pdf})), ERROR.IMAGE_BAD_TYPE);
  assert.equal(codeOf(() => profileUpdate({avatar: png(0)})), ERROR.FILE_EMPTY);
  const huge = Object.create(Blob.prototype, {type: {value: 'image/jpeg'}, size: {value: 10 * MB + 1}});
  assert.equal(codeOf(() => checkFile(AVATAR_RULE, huge, 'avatar')), ERROR.IMAGE_TOO_LARGE);
  assert.equal(checkFile(AVATAR_RULE, png(10 * MB), 'avatar').fileSize, 10 * MB);
});

test('uploadFile: createUpload (kind avatar), PUT with progress, finishUpload', async () => {
  const calls = [];
  const uploads = new MediaUploads({
    request: async (op, data) => {
      calls.push([op, data]);
      if (op === 'createUpload') return {uuid: 'a1', upload: {method: 'PUT', url: '/im/uploads/?t=a1', headers: {'X-H': '1'}}};
      return {uuid: data.uuid, isReady: true};
    },
    put: async ({method, url, headers, body, onProgress}) => {
      calls.push([method, url, headers, body.size]);
      onProgress(500);
      return {status: 204, body: ''};
    },
    serverURL: 'wss://chat.test/ws/im/',
  });
  const seen = [];
  const finished = await uploads.uploadFile(checkFile(AVATAR_RULE, png(1000), 'avatar'), AVATAR_RULE, (p) => seen.push(p));
  assert.deepEqual(finished, {uuid: 'a1', isReady: true});
  assert.deepEqual(calls, [
    ['createUpload', {kind: 'avatar', fileName: 'me.png', fileSize: 1000, contentType: 'image/png'}],
    ['PUT', 'https://chat.test/im/uploads/?t=a1', {'X-H': '1'}, 1000],
    ['finishUpload', {uuid: 'a1'}],
  ]);
  assert.deepEqual(seen, [0, 0.5, 1]);
});

test('uploadFile: an expired link or an unreachable server is the avatar\'s "upload failed"', async () => {
  const make = (put) =>
    new MediaUploads({
      request: async (op, data) => (op === 'createUpload' ? {uuid: 'a1', upload: {url: 'https://s3/x'}} : data),
      put,
      serverURL: 'ws://x/',
    });
  const checked = checkFile(AVATAR_RULE, png(), 'avatar');
  const expired = await make(async () => ({status: 403, body: ''}))
    .uploadFile(checked, AVATAR_RULE)
    .catch((e) => e);
  assert.equal(expired.code, ERROR.FILE_UPLOAD_FAILED);
  const offline = await make(async () => {
    throw new Error('network error');
  })
    .uploadFile(checked, AVATAR_RULE)
    .catch((e) => e);
  assert.equal(offline.code, ERROR.FILE_UPLOAD_FAILED);
});

test('our own profile is served for a while, then read again (its avatar link expires)', () => {
  let now = 1_000_000;
  const state = new ProfileState(() => now);
  assert.equal(state.mine(), null);
  state.setMine({userID: 'alice', nick: 'A'});
  const held = state.mine();
  assert.equal(held.nick, 'A');
  held.nick = 'changed by the page';
  assert.equal(state.mine().nick, 'A', 'the page gets a copy');
  now += MY_PROFILE_MAX_AGE_MS;
  assert.equal(state.mine().nick, 'A');
  now += 1;
  assert.equal(state.mine(), null);
  state.setMine({userID: 'alice', nick: 'B'});
  assert.equal(state.mine().nick, 'B', 'a push renews it');
  state.forget();
  assert.equal(state.mine(), null);
});

test('a read\'s answer is held only if nothing was set or forgotten while it was asked', () => {
  const state = new ProfileState();
  let since = state.version;
  state.setBlacklist(['pushed']);
  assert.equal(state.setBlacklist(['read'], since), false);
  assert.deepEqual(state.blacklist(), ['pushed']);
  since = state.version;
  state.setMine({userID: 'alice', nick: 'pushed'});
  state.setMine({userID: 'alice', nick: 'read'}, since);
  assert.equal(state.mine().nick, 'pushed');
  since = state.version;
  state.forget(); // a reconnect
  state.setMine({userID: 'alice', nick: 'read before'}, since);
  assert.equal(state.mine(), null);
  since = state.version;
  state.setMine({userID: 'alice', nick: 'read'}, since);
  assert.equal(state.mine().nick, 'read');
});

test('the blacklist is held once known; setBlacklist says whether it changed', () => {
  const state = new ProfileState();
  assert.equal(state.blacklist(), null);
  assert.equal(state.setBlacklist([]), true, 'unknown before');
  assert.deepEqual(state.blacklist(), []);
  assert.equal(state.setBlacklist(['bob', 'carol']), true);
  assert.equal(state.setBlacklist(['bob', 'carol']), false);
  assert.equal(state.setBlacklist(['carol', 'bob']), true, 'the order is the list\'s');
  const copy = state.blacklist();
  copy.push('x');
  assert.deepEqual(state.blacklist(), ['carol', 'bob']);
  state.forget();
  assert.equal(state.blacklist(), null);
});

// --- a profile change applied to the conversation list and the held messages ---

const profiles = {
  bob: makeProfile({userID: 'bob', nick: 'Bob', avatar: 'b1'}),
  carol: makeProfile({userID: 'carol', nick: 'Carol', avatar: ''}),
};
const last = (from, sequence) => ({
  lastTime: 100 + sequence,
  lastSequence: sequence,
  fromAccount: from,
  messageForShow: 'x',
  nick: profiles[from]?.nick ?? 'Alice',
  avatar: profiles[from]?.avatar ?? '',
});
/** The server's conversation list as it is when it is read. */
const snapshot = () => [
  {conversationID: 'C2Cbob', type: 'C2C', unreadCount: 1, lastMessage: last('bob', 3), userProfile: {...profiles.bob}},
  {conversationID: 'GROUPg1', type: 'GROUP', unreadCount: 0, lastMessage: last('bob', 2), groupProfile: {groupID: 'g1', name: 'G', type: 'Public', avatar: ''}},
  {conversationID: 'C2Ccarol', type: 'C2C', unreadCount: 0, lastMessage: last('alice', 1), userProfile: {...profiles.carol}},
];
const fromSnapshot = () => {
  const list = new ConversationList({incomingAfter: () => 0, onChange: () => {}});
  list.replace(snapshot(), 0);
  return list;
};

test('a profile change shows on its C2C conversation and on every last message it sent', () => {
  let changes = 0;
  const list = new ConversationList({incomingAfter: () => 0, onChange: () => changes++});
  list.replace(snapshot(), 0);
  profiles.bob = makeProfile({...profiles.bob, nick: 'Bobby', avatar: 'b2', lastUpdatedTime: 9});
  try {
    assert.equal(list.applyUserProfile(profiles.bob), true);
    assert.equal(changes, 1);
    assert.deepEqual(list.sorted(), fromSnapshot().sorted());
    assert.equal(list.get('C2Cbob').userProfile.lastUpdatedTime, 9);
    assert.equal(list.get('GROUPg1').lastMessage.nick, 'Bobby');
    // Someone nobody here shows: nothing changes, nothing to announce.
    assert.equal(list.applyUserProfile(makeProfile({userID: 'dave', nick: 'D'})), false);
    assert.equal(changes, 1);
  } finally {
    profiles.bob = makeProfile({userID: 'bob', nick: 'Bob', avatar: 'b1'});
  }
});

test('held messages from the sender show the new nick and avatar, in place', () => {
  const store = new MessageStore();
  const fields = (ID, from, nick, avatar) => ({ID, conversationID: 'GROUPg1', from, nick, avatar, nameCard: from === 'bob' ? 'Captain' : ''});
  const his = store.adopt(fields('1', 'bob', 'Bob', 'b1'), 'alice');
  const mine = store.adopt(fields('2', 'alice', 'Alice', ''), 'alice');
  const changed = store.applySender('bob', {nick: 'Bobby', avatar: 'b2'});
  assert.deepEqual(changed, [his]);
  assert.equal(mine.nick, 'Alice');
  assert.deepEqual(store.applySender('bob', {nick: 'Bobby', avatar: 'b2'}), [], 'no change the second time');
  // What the page holds is what a fresh history page now says (the name card is the group's).
  const fresh = new MessageStore().adopt(fields('1', 'bob', 'Bobby', 'b2'), 'alice');
  assert.deepEqual({...his}, {...fresh});
});
