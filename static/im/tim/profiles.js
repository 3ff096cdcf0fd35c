import {TYPES} from './constants.js';
import {ERROR, IMError} from './errors.js';
import {isPlainObject} from './checks.js';
import {AVATAR_RULE, checkFile} from './upload.js';

/**
 * Profiles and the blacklist (docs/protocol.md, "Profiles" and "Blacklist"): TIM's
 * Profile object, what `updateMyProfile` refuses before asking the server (the web
 * SDK's 2721 and 2722), an avatar given as a file (Hutong's extension), and what this
 * instance keeps between reads: its own profile and its blacklist. What a profile
 * change does to the conversation list and the held messages is in conversations.js
 * and store.js (`applyProfile`, `applySender`).
 *
 * Nothing here touches a socket or a browser object: the node tests import it as it is.
 */

// getUserProfile reads the first 100 userIDs, as TIM's SDK does (and the server).
export const MAX_USER_PROFILES = 100;

// The fields updateMyProfile takes, TIM's names. `onProgress` is not one of them: it is
// the avatar upload's callback (Hutong's extension), never sent.
export const PROFILE_FIELDS = Object.freeze([
  'nick',
  'avatar',
  'gender',
  'selfSignature',
  'allowType',
  'birthday',
  'location',
  'language',
  'messageSettings',
  'adminForbidType',
  'level',
  'role',
  'profileCustomField',
]);

// How long a profile of our own is served without asking the server again: its
// avatar link is signed and expires (IM_MEDIA_URL_EXPIRE, an hour by default), so a
// page that asks much later must get a fresh one. Pushes and answers renew it.
export const MY_PROFILE_MAX_AGE_MS = 5 * 60 * 1000;

/** TIM's Profile, every field present, from the server's object. */
export function makeProfile(fields) {
  const profile = {
    userID: '',
    nick: '',
    gender: TYPES.GENDER_UNKNOWN,
    birthday: 0,
    location: '',
    selfSignature: '',
    allowType: TYPES.ALLOW_TYPE_ALLOW_ANY,
    language: 0,
    avatar: '',
    messageSettings: 0,
    adminForbidType: TYPES.FORBID_TYPE_NONE,
    level: 0,
    role: 0,
    lastUpdatedTime: 0,
    profileCustomField: [],
  };
  if (isPlainObject(fields)) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== null && value !== undefined) profile[key] = value;
    }
  }
  profile.profileCustomField = Array.isArray(profile.profileCustomField)
    ? profile.profileCustomField.map((f) => ({...f}))
    : [];
  return profile;
}

/** The Profiles in a push's or an answer's list; anything else is dropped. */
export function profilesOf(list) {
  if (!Array.isArray(list)) return [];
  return list.filter((p) => isPlainObject(p) && typeof p.userID === 'string').map(makeProfile);
}

/** A blacklist as the server sends it: userIDs, oldest first. */
export function blacklistOf(list) {
  return Array.isArray(list) ? list.filter((id) => typeof id === 'string') : [];
}

/**
 * Whether an avatar is meant as a picture to upload (what pickFile takes: a File or
 * Blob, an `<input type=file>`, `{files}` or `{file}`) rather than TIM's URL or `{uuid}`.
 */
function isFileLike(value) {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true;
  if (isPlainObject(value)) return 'files' in value || 'file' in value;
  return typeof value?.files === 'object'; // an <input type=file>
}

/**
 * What an `updateMyProfile(options)` call asks for, checked as TIM's SDK checks it.
 * Rejects (throws IMError) with 2722 when no field is given and 2721 for a key that is
 * not a profile field or a `profileCustomField` that is not an array of objects; the
 * values themselves are the server's to judge (40601, 40603, 40604, 40009).
 * An `avatar` that is a File, Blob or `<input type=file>` is checked as an avatar
 * picture (2251 no file, 2252 not an image, 2253 over 10 MB, 2108 empty).
 * @returns {{fields: Object, avatarFile: Object|null, onProgress: function|undefined}}
 *   `fields` as the wire takes them (without `avatar` when it is to be uploaded first);
 *   `avatarFile` checkFile's result for the picture to upload
 */
export function profileUpdate(options) {
  const fields = {};
  let avatarFile = null;
  for (const [key, value] of Object.entries(options)) {
    // An absent field and one set to undefined read the same, as in JSON.
    if (key === 'onProgress' || value === undefined) continue;
    if (!PROFILE_FIELDS.includes(key)) {
      throw new IMError(ERROR.PROFILE_UNKNOWN_FIELD, `${key} is not a profile field`);
    }
    if (key === 'profileCustomField' && !(Array.isArray(value) && value.every(isPlainObject))) {
      const text = 'profileCustomField must be an array of {key, value}';
      throw new IMError(ERROR.PROFILE_UNKNOWN_FIELD, text);
    }
    if (key === 'avatar' && isFileLike(value)) {
      avatarFile = checkFile(AVATAR_RULE, value, 'avatar');
      continue;
    }
    fields[key] = value;
  }
  if (!avatarFile && Object.keys(fields).length === 0) {
    const text = 'updateMyProfile needs at least one profile field';
    throw new IMError(ERROR.PROFILE_NOTHING_TO_UPDATE, text);
  }
  const onProgress = typeof options.onProgress === 'function' ? options.onProgress : undefined;
  return {fields, avatarFile, onProgress};
}

/**
 * What this instance holds of the account between reads: its own profile (served
 * for a while, then asked again) and its blacklist (served once read, replaced by every
 * answer and push). Both are forgotten when the connection was down (a push may have
 * been missed) and when the session ends.
 *
 * A read's answer may have been taken before a push that arrived while it was on its
 * way: a read passes the `version` it started at, and its answer is kept only if
 * nothing was set or forgotten since.
 */
export class ProfileState {
  #now;
  #mine = null;
  #mineAt = 0;
  #blacklist = null;
  #version = 0;

  /** @param {function(): number} [now] the clock, in ms (the tests' to set) */
  constructor(now = Date.now) {
    this.#now = now;
  }

  /** Our profile if held and fresh enough to hand out, else null. */
  mine() {
    if (!this.#mine || this.#now() - this.#mineAt > MY_PROFILE_MAX_AGE_MS) return null;
    return makeProfile(this.#mine);
  }

  /** What was held changes with each set and forget: a read's answer compares it. */
  get version() {
    return this.#version;
  }

  /**
   * Hold our profile, from a push or an answer.
   * @param {number} [since] a read's version when it started: kept only if still current
   */
  setMine(profile, since = this.#version) {
    if (since !== this.#version) return;
    this.#mine = makeProfile(profile);
    this.#mineAt = this.#now();
    this.#version += 1;
  }

  /** The blacklist if held, else null (a copy: the page may change what it gets). */
  blacklist() {
    return this.#blacklist ? [...this.#blacklist] : null;
  }

  /**
   * Replace the held blacklist.
   * @param {number} [since] as for setMine
   * @returns {boolean} whether it differs from the one held before (an unknown one does)
   */
  setBlacklist(list, since = this.#version) {
    if (since !== this.#version) return false;
    const before = this.#blacklist;
    this.#blacklist = [...list];
    this.#version += 1;
    return !before || before.length !== list.length || before.some((id, i) => id !== list[i]);
  }

  /** Read both from the server next time. */
  forget() {
    this.#mine = null;
    this.#blacklist = null;
    this.#version += 1;
  }
}
