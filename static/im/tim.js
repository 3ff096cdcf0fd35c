/**
 * Hutong's browser SDK: the TIM Web SDK v2 API over Hutong's WebSocket protocol
 * (docs/protocol.md). Pages written for TIM run against Hutong by changing only
 * the import:
 *
 *   import TIM from '/static/im/tim.js';
 *   const tim = TIM.create({SDKAppID: 1400000001});
 *   tim.on(TIM.EVENT.SDK_READY, () => { ... });
 *   await tim.login({userID, userSig});
 *
 * ES modules without a build step. It holds no secret: the page gets its UserSig
 * from its own server.
 *
 * This file is the facade: TIM's API (argument checks, results, events) and the
 * orchestration of login, reconnect and catch-up, over the modules in ./tim/:
 *
 *   constants.js      TIM.TYPES, TIM.EVENT, TIM.VERSION
 *   errors.js         TIM.ERROR (every code, named once) and IMError
 *   transport.js      the socket, request ids, answers, timeouts, heartbeat
 *   session.js        kicks, which failures end a session, reconnect backoff, the sig's deadline
 *   message.js        the Message object, priorities, message order
 *   store.js          every message handed out, by ID, so later copies update it
 *   changes.js        gap tracking of each conversation's numbered changes
 *   outbox.js         sends waiting for the connection, failed and resent ones
 *   upload.js         image, file, voice and video messages: TIM's file checks, previews,
 *                     createUpload → PUT → finishUpload, progress, cancel, resend
 *   browsermedia.js   the PUT (XMLHttpRequest, for its progress) and a video's poster
 *   conversations.js  the conversation list, its order and unread arithmetic
 *   readstate.js      C2C read marks (isPeerRead, MESSAGE_READ_BY_PEER), online-only messages
 *   convprefs.js      pinConversation's and C2C setMessageRemindType's checks and shapes
 *   mentions.js       createTextAtMessage's list check, a conversation's groupAtInfoList
 *   groups.js         the group list, what tips do to it, join applications
 *   profiles.js       TIM's Profile, updateMyProfile's own checks, our profile and
 *                     blacklist held between reads
 *   throttle.js       the one throttle of list announcements
 *   listeners.js, log.js, checks.js   on/off/emit, console output, argument checks
 *
 * Only transport.js, browsermedia.js and this file touch browser objects (WebSocket,
 * XMLHttpRequest, window, document), and only when called: the rest is imported by the
 * node tests in tests/js/ as it is.
 *
 * Media messages: `createImageMessage`, `createFileMessage`, `createVideoMessage` and
 * `createAudioMessage` take TIM's `payload.file` (an `<input type=file>`, a File or
 * Blob; for audio also a recorder's result `{file: Blob, duration: ms}`, which TIM's web
 * SDK has no way to make and Hutong's chat page makes with MediaRecorder) and TIM's
 * `onProgress(percent 0..1)`. A file TIM would refuse throws at once with the web SDK's
 * code (2251/2401 no file, 2252/2352 type, 2253/2301/2351/2402 size, 2108 empty).
 * `sendMessage` uploads first (a video's poster too, drawn from its first frame), then
 * sends; until then the message shows a local preview. Hutong's extension:
 * `cancelUploadMessage(message)` (TIM has none) stops an upload in flight; the message
 * fails and nothing is stored or sent. A failed upload can be resent with
 * `resendMessage`, which uploads again only what never finished.
 *
 * Profiles and the blacklist: `getMyProfile`, `getUserProfile`, `updateMyProfile`,
 * `getBlacklist`, `addToBlacklist`, `removeFromBlacklist` resolve with TIM's data (a
 * Profile, an array of them, userIDs). `PROFILE_UPDATED` (Profile[]) and
 * `BLACKLIST_UPDATED` (the whole list) come from the server, and also after this
 * instance's own successful update (the server pushes to the other connections only).
 * Before they are emitted the SDK's state shows the change: the C2C conversation's
 * `userProfile`, the `nick` and `avatar` of last messages and of every held Message
 * from that sender (the page's own objects), `getMyProfile`, and the nick of messages
 * created from then on; a changed conversation list is announced. Hutong's extension:
 * `updateMyProfile({avatar: file, onProgress})` with a File, Blob or `<input type=file>`
 * uploads the picture first (kind `avatar`, JPEG/PNG/GIF/BMP/WebP up to 10 MB; 2251,
 * 2252, 2253, 2108 as for images) and sends its uuid; TIM takes only a URL, which a
 * string still is.
 */

import {EVENT, TYPES, VERSION} from './tim/constants.js';
import {ERROR, IMError} from './tim/errors.js';
import {invalidParam, isPlainObject} from './tim/checks.js';
import {Logger} from './tim/log.js';
import {Listeners} from './tim/listeners.js';
import {Throttle} from './tim/throttle.js';
import {Transport, socketURL} from './tim/transport.js';
import {
  Backoff,
  CLOSE_KICKED_OUT,
  Deadline,
  NOT_LOGGED_IN_TEXT,
  endsSession,
  kickOutcome,
  newInstanceID,
} from './tim/session.js';
import {Message, bySequence, priorityOf} from './tim/message.js';
import {HUTONG_EVENT, deleteBatch, forwardSource, forwardedPayload} from './tim/actions.js';
import {MessageStore} from './tim/store.js';
import {ChangeTracker} from './tim/changes.js';
import {Outbox} from './tim/outbox.js';
import {AVATAR_RULE, MediaUploads, checkedFile, previewPayload} from './tim/upload.js';
import {putFile, videoSnapshot} from './tim/browsermedia.js';
import {ConversationList} from './tim/conversations.js';
import {PeerReads, isOnlineOnly, peerReadSequenceOf} from './tim/readstate.js';
import {
  C2C_REMIND_TYPES,
  c2cConversationID,
  c2cRemindOptions,
  c2cRemindResult,
  isC2CRemind,
  pinOptions,
} from './tim/convprefs.js';
import {cleanAtUserList} from './tim/mentions.js';
import {
  MAX_USER_PROFILES,
  ProfileState,
  blacklistOf,
  makeProfile,
  profileUpdate,
  profilesOf,
} from './tim/profiles.js';
import {
  GroupList,
  applicationOf,
  joinedGroup,
  makeGroup,
  makeMember,
  tipChangesMembers,
} from './tim/groups.js';

const LIST_THROTTLE_MS = 200; // TIM waits 1 s; a chat page feels slow with that
// getMessageList's default and largest page, TIM's (and the server's) 15.
const MAX_MESSAGE_PAGE = 15;
// syncMessages' largest page.
const MAX_SYNC_PAGE = 100;
// deleteConversation's list form: TIM uses the first 100.
const MAX_DELETE_CONVERSATIONS = 100;
// getGroupMemberList's page (TIM's default and largest), getGroupMemberProfile's
// users, addGroupMember's and deleteGroupMember's batch.
const DEFAULT_MEMBER_PAGE = 15;
const MAX_MEMBER_PAGE = 100;
const MAX_PROFILE_USERS = 50;
const MAX_MEMBER_BATCH = 500;
const MAX_MUTE_SECONDS = 2 ** 32 - 1; // the server's limit

const REMIND_TYPES = [
  TYPES.MSG_REMIND_ACPT_AND_NOTE,
  TYPES.MSG_REMIND_ACPT_NOT_NOTE,
  TYPES.MSG_REMIND_DISCARD,
];

function isCustomField(list) {
  return (
    Array.isArray(list) &&
    list.every((f) => isPlainObject(f) && typeof f.key === 'string' && typeof f.value === 'string')
  );
}

/** The GroupMember objects of an answer's `memberList`. */
function membersOf(result) {
  const list = Array.isArray(result.memberList) ? result.memberList : [];
  return list.filter(isPlainObject).map(makeMember);
}


/** One SDK instance: one socket, one logged-in account. Made by `TIM.create`. */
class TIMInstance {
  #appID;
  #log = new Logger();
  #plugins = {};
  #listeners = new Listeners(this.#log);
  #destroyed = false;
  #transport;
  #netState = null;
  #backoff = new Backoff();
  #instanceID = '';

  // {userID, userSig, tinyID, nick, avatar} from a successful login until logout or a kick;
  // kept while the socket reconnects, so the SDK can log in again by itself.
  #session = null;
  #loginPromise = null;
  #ready = false;
  #readying = false; // the first conversation sync after login is running
  #notReadyCode = ERROR.NOT_LOGGED_IN;
  #notReadyText = NOT_LOGGED_IN_TEXT;
  #sigDeadline = new Deadline();
  #clientSequence = 0;

  #store = new MessageStore();
  #peerReads = new PeerReads();
  #listThrottle = new Throttle(LIST_THROTTLE_MS, () => this.#announceList());
  #conversations = new ConversationList({
    incomingAfter: (id, sequence) => this.#store.incomingAfter(id, sequence),
    onChange: () => this.#listThrottle.schedule(),
    selfID: () => this.#session?.userID ?? '',
  });
  #syncing = null; // the conversation-list fetch in flight
  #changes = new ChangeTracker((id) =>
    this.#catchUp(id).catch((error) => this.#log.warn(`could not catch up on ${id}`, error)),
  );
  #catchingUp = new Map(); // conversationID → the syncMessages run in flight
  #outbox = new Outbox();
  #forwards = new WeakMap(); // a forward made here → the message it copies {conversationID, ID}
  #uploads;

  #groupThrottle = new Throttle(LIST_THROTTLE_MS, () => this.#announceGroups());
  #groups = new GroupList(() => this.#groupThrottle.schedule());
  #groupsFetch = null; // the group-list fetch in flight
  #profiles = new ProfileState(); // our own profile and blacklist, between reads

  // The browser saying the network is back, or the page being looked at again
  // (a laptop waking up): a reason to check the connection now rather than wait.
  #onWake = () => this.#probe();
  #onVisible = () => {
    if (document.visibilityState === 'visible') this.#probe();
  };

  constructor(appID, url) {
    this.#appID = appID;
    this.#transport = new Transport(url, this.#log, {
      onConnecting: () => this.#setNetState(TYPES.NET_STATE_CONNECTING),
      onGone: () => this.#setNetState(TYPES.NET_STATE_DISCONNECTED),
      onPush: (event, data) => this.#onPush(event, data),
      onStrayError: (error) => this.#emit(EVENT.ERROR, error),
      onLost: (code) => this.#onConnectionLost(code),
    });
    this.#uploads = new MediaUploads({
      request: (op, data) => this.#request(op, data),
      put: putFile,
      snapshot: videoSnapshot,
      serverURL: url,
    });
    if (typeof window !== 'undefined') window.addEventListener('online', this.#onWake);
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', this.#onVisible);
    }
  }

  // --- plumbing ---

  /**
   * Filter the SDK's console output.
   * @param {number} level 0 everything, 1 release, 2 warnings, 3 errors, 4 nothing
   */
  setLogLevel(level) {
    if (!Number.isInteger(level) || level < 0 || level > 4) {
      throw invalidParam(this.#log, 'level', 'an integer from 0 to 4');
    }
    this.#log.level = level;
  }

  /**
   * Keep plugins (upload, COS, ...) for the features that use them.
   * @param {Object<string, *>} plugins e.g. `{'tim-upload-plugin': TIMUploadPlugin}`
   */
  registerPlugin(plugins) {
    if (!isPlainObject(plugins)) throw invalidParam(this.#log, 'plugins', 'an object');
    Object.assign(this.#plugins, plugins);
  }

  /**
   * Listen to an event; the handler gets `{name, data}`.
   * @param {string} name a `TIM.EVENT` value
   * @param {function({name: string, data: *}): void} handler
   * @param {*} [ctx] `this` for the handler
   */
  on(name, handler, ctx) {
    this.#listeners.add(name, handler, ctx, false);
  }

  /**
   * Like `on`, for the next emission only.
   * @param {string} name
   * @param {function({name: string, data: *}): void} handler
   * @param {*} [ctx]
   */
  once(name, handler, ctx) {
    this.#listeners.add(name, handler, ctx, true);
  }

  /**
   * Stop listening. Without `ctx`, removes the handler whatever its context.
   * @param {string} name
   * @param {function} handler
   * @param {*} [ctx]
   * @param {boolean} [once] only remove listeners added with `once`
   */
  off(name, handler, ctx, once) {
    this.#listeners.remove(name, handler, ctx, once);
  }

  // --- session ---

  /**
   * Log in. The server's login reply becomes `data`. `SDK_READY` follows once the
   * conversation list has come from the server, so unread counts are right from the start.
   * @param {{userID: string, userSig: string}} options
   * @returns {Promise<{code: 0, data: Object}>}
   */
  login(options) {
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    const {userID, userSig} = options;
    if (typeof userID !== 'string' || !userID) {
      throw invalidParam(this.#log, 'userID', 'a non-empty string');
    }
    if (typeof userSig !== 'string') throw invalidParam(this.#log, 'userSig', 'a string');
    if (this.#destroyed) return Promise.reject(this.#destroyedError());
    if (this.#loginPromise) {
      return Promise.reject(new IMError(ERROR.IN_PROGRESS, 'a login is already in progress'));
    }
    if (this.#session) {
      if (this.#session.userID !== userID) {
        const text = `logged in as ${this.#session.userID}: call logout() first`;
        return Promise.reject(new IMError(ERROR.IN_PROGRESS, text));
      }
      const data = {actionStatus: 'OK', errorCode: 0, errorInfo: '', repeatLogin: true};
      return Promise.resolve({code: 0, data});
    }
    this.#loginPromise = this.#login(userID, userSig).finally(() => {
      this.#loginPromise = null;
    });
    return this.#loginPromise;
  }

  /**
   * Hutong's own: a fresh UserSig for the logged-in account, handed over before the
   * current one expires, so the session goes on with no new login and no reconnect
   * (the chat page renews its short-lived sigs this way). Reconnects log in with it
   * from then on; while the connection is down it waits for the next one.
   * @param {string} userSig
   * @returns {Promise<{code: 0, data: {userSigExpireTime?: number}}>}
   */
  renewUserSig(userSig) {
    if (typeof userSig !== 'string' || !userSig) {
      throw invalidParam(this.#log, 'userSig', 'a non-empty string');
    }
    if (this.#destroyed) return Promise.reject(this.#destroyedError());
    const session = this.#session;
    if (!session) return Promise.reject(new IMError(ERROR.NOT_LOGGED_IN, NOT_LOGGED_IN_TEXT));
    session.userSig = userSig;
    if (!this.#isConnected()) return Promise.resolve({code: 0, data: {}});
    return this.#request('renewUserSig', {userSig}).then((data) => {
      if (this.#session === session) this.#armSigDeadline(data);
      return {code: 0, data};
    });
  }

  /**
   * Log out; emits `SDK_NOT_READY`. Resolves even when the server cannot be told.
   * @returns {Promise<{code: 0, data: {}}>}
   */
  logout() {
    if (this.#destroyed) return Promise.reject(this.#destroyedError());
    if (!this.#session) {
      return Promise.reject(new IMError(ERROR.NOT_LOGGED_IN, 'not logged in'));
    }
    return this.#logout().then(() => ({code: 0, data: {}}));
  }

  /**
   * Log out, close the socket and free this SDKAppID's slot: the next
   * `TIM.create` makes a new instance. Every later call rejects with 6013.
   * @returns {Promise<{code: 0, data: {}}>}
   */
  async destroy() {
    if (this.#destroyed) return {code: 0, data: {}};
    if (this.#session) await this.#logout();
    this.#destroyed = true;
    this.#transport.close();
    this.#listThrottle.cancel();
    this.#groupThrottle.cancel();
    if (typeof window !== 'undefined') window.removeEventListener('online', this.#onWake);
    if (typeof document !== 'undefined') {
      document.removeEventListener('visibilitychange', this.#onVisible);
    }
    if (instances.get(this.#appID) === this) instances.delete(this.#appID);
    this.#emit(EVENT.SDK_DESTROY, {SDKAppID: this.#appID});
    return {code: 0, data: {}};
  }

  // --- creating messages ---

  /**
   * Make a text message to send with `sendMessage`.
   * @param {{to: string, conversationType: string, payload: {text: string},
   *   priority?: string|number, cloudCustomData?: string}} options
   * @returns {Message} with `status: 'unSend'` (a rejected promise before SDK_READY, as TIM)
   */
  createTextMessage(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    this.#checkMessageOptions(options);
    const {text} = options.payload;
    if (typeof text !== 'string' || !text) {
      throw invalidParam(this.#log, 'payload.text', 'a non-empty string');
    }
    return this.#createMessage(options, TYPES.MSG_TEXT, {text});
  }

  /**
   * Make a group text message that @-mentions members: their userIDs, or
   * `TIM.TYPES.MSG_AT_ALL` for everyone (the group's owner and admins only; the
   * server refuses others with 10007). The list becomes the message's `atUserList`.
   * @param {{to: string, conversationType: string,
   *   payload: {text: string, atUserList: string[]}, priority?: string|number,
   *   cloudCustomData?: string}} options
   * @returns {Message} a text message (`TIM.TYPES.MSG_TEXT`) with `status: 'unSend'`
   */
  createTextAtMessage(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    this.#checkMessageOptions(options);
    if (options.conversationType !== TYPES.CONV_GROUP) {
      throw invalidParam(this.#log, 'conversationType', 'TIM.TYPES.CONV_GROUP');
    }
    const {text} = options.payload;
    if (typeof text !== 'string' || !text) {
      throw invalidParam(this.#log, 'payload.text', 'a non-empty string');
    }
    const atUserList = cleanAtUserList(options.payload.atUserList);
    if (typeof atUserList === 'string') {
      throw invalidParam(this.#log, 'payload.atUserList', atUserList);
    }
    const message = this.#createMessage(options, TYPES.MSG_TEXT, {text});
    message.atUserList = atUserList;
    return message;
  }

  /**
   * Make a custom message: app-defined data the SDK carries without reading it.
   * At least one of the three strings must be non-empty for the server to take it.
   * @param {{to: string, conversationType: string,
   *   payload: {data?: string, description?: string, extension?: string},
   *   priority?: string|number, cloudCustomData?: string}} options
   * @returns {Message} with `type: TIM.TYPES.MSG_CUSTOM`, `status: 'unSend'`
   */
  createCustomMessage(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    this.#checkMessageOptions(options);
    const payload = {};
    for (const name of ['data', 'description', 'extension']) {
      const value = options.payload[name] ?? '';
      if (typeof value !== 'string') throw invalidParam(this.#log, `payload.${name}`, 'a string');
      payload[name] = value;
    }
    return this.#createMessage(options, TYPES.MSG_CUSTOM, payload);
  }

  /**
   * Make a face (sticker) message: `index` picks the face from the app's own set,
   * `data` is free for the app (TIM's demo puts the sticker's name there).
   * @param {{to: string, conversationType: string, payload: {index: number, data?: string},
   *   priority?: string|number, cloudCustomData?: string}} options
   * @returns {Message} with `type: TIM.TYPES.MSG_FACE`, `status: 'unSend'`
   */
  createFaceMessage(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    this.#checkMessageOptions(options);
    const {index, data = ''} = options.payload;
    if (!Number.isSafeInteger(index) || index < 0) {
      throw invalidParam(this.#log, 'payload.index', 'a non-negative integer');
    }
    if (typeof data !== 'string') throw invalidParam(this.#log, 'payload.data', 'a string');
    return this.#createMessage(options, TYPES.MSG_FACE, {index, data});
  }

  /**
   * Make an image message (JPEG, PNG, GIF, BMP or WebP, up to 28 MB). The server makes
   * TIM's three versions; until it is sent the message shows the file itself.
   * @param {{to: string, conversationType: string, payload: {file: HTMLInputElement|File|Blob},
   *   onProgress?: function(number): void, priority?: string|number,
   *   cloudCustomData?: string}} options
   * @returns {Message} throws IMError 2251 no file, 2252 not an image, 2253 too large,
   *   2108 empty
   */
  createImageMessage(options) {
    return this.#createMediaMessage(options, TYPES.MSG_IMAGE);
  }

  /**
   * Make a file message (any type, up to 100 MB); as createImageMessage.
   * @returns {Message} throws IMError 2401 no file, 2402 too large, 2108 empty
   */
  createFileMessage(options) {
    return this.#createMediaMessage(options, TYPES.MSG_FILE);
  }

  /**
   * Make a video message (mp4 or QuickTime, up to 100 MB); sending draws its poster
   * from the first frame (with its size and the video's length) and uploads both.
   * @returns {Message} throws IMError 2350 no file, 2352 not mp4/mov, 2351 too large
   */
  createVideoMessage(options) {
    return this.#createMediaMessage(options, TYPES.MSG_VIDEO);
  }

  /**
   * Make a voice message from a recording, `payload.file` a recorder's result
   * `{file: Blob, duration: ms}` (or a File or Blob, length 0); up to 28 MB of
   * webm, ogg, mp4/m4a, aac, mpeg or wav.
   * @returns {Message} throws IMError 2300 no file or not audio, 2301 too large
   */
  createAudioMessage(options) {
    return this.#createMediaMessage(options, TYPES.MSG_AUDIO);
  }

  /**
   * Make a copy of a message to send to another conversation (or the same one):
   * the same type and content, from this account. The server copies the content
   * from the original, which this account must see (10030 otherwise); a media
   * message shares the original's files.
   * @param {{to: string, conversationType: string, payload: Message,
   *   priority?: string|number, cloudCustomData?: string}} options
   * @returns {Message} throws IMError 2453 for a group tip or system notice
   */
  createForwardMessage(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    this.#checkMessageOptions({...options, payload: {}});
    const source = forwardSource(options.payload);
    const message = this.#createMessage(options, source.type, forwardedPayload(source));
    this.#forwards.set(message, {conversationID: source.conversationID, ID: source.ID});
    return message;
  }

  // --- sending and recalling ---

  /**
   * Send a message made by a `create*Message` method (C2C or GROUP). On success
   * the server's fields (status 'success', time, sequence) are merged into the same
   * object. Of TIM's second argument only `onlineUserOnly: true` is used: the message
   * is pushed to the receiver's connections online now and never stored (no history,
   * no unread count, not the last message; TIM's typing indicators). Such a message
   * does not wait for the connection: it fails at once (6010) when it is down. The
   * push and control options are accepted and ignored.
   *
   * While the connection is down (or catching up after a reconnect) the message
   * waits in an outbox with status 'unSend', and goes out once it is back, after
   * the messages sent before it. It fails (6010) only if the session ends first:
   * logout, a kick, destroy.
   * @param {Message} message
   * @param {{onlineUserOnly?: boolean}} [options]
   * @returns {Promise<{code: 0, data: {message: Message}}>} rejects with
   *   `{code, message, data: {message}}`, the message's status then 'fail'
   */
  sendMessage(message, options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!(message instanceof Message)) {
      throw invalidParam(this.#log, 'message', 'a Message made by a create*Message method');
    }
    if (isPlainObject(options) && options.onlineUserOnly === true) {
      return this.#sendOnlineOnly(message);
    }
    return this.#sendMessage(message);
  }

  /**
   * Hutong's extension (TIM has none): stop the upload of a media message being sent.
   * The PUT is aborted, `sendMessage` rejects with the kind's "upload failed" code
   * (2400, 2300, 2350) and `data.cancelled: true`, the message's status is 'fail', and
   * nothing is sent.
   * @param {Message} message
   * @returns {Promise<{code: 0, data: {message: Message}}>} rejects with 6017 when the
   *   message is not uploading (its files are up: too late to cancel)
   */
  cancelUploadMessage(message) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!(message instanceof Message)) throw invalidParam(this.#log, 'message', 'a Message');
    if (!this.#uploads.cancel(message)) {
      const text = 'this message has no upload in progress';
      return Promise.reject(new IMError(ERROR.INVALID_PARAMS, text, {message}));
    }
    return Promise.resolve({code: 0, data: {message}});
  }

  /**
   * Send a failed message again. It keeps its random and clientTime, which is how
   * the server knows it: if the first attempt did reach it (only the answer was lost),
   * the answer is the stored message and nobody gets a second copy. Waits in the
   * outbox while the connection is down, as `sendMessage` does.
   * @param {Message} message a message whose status is 'fail'
   * @returns {Promise<{code: 0, data: {message: Message}}>} as `sendMessage`
   */
  resendMessage(message) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!(message instanceof Message) || message.status !== 'fail') {
      throw invalidParam(this.#log, 'message', "a Message whose status is 'fail'");
    }
    message.isResend = true;
    return this.#sendMessage(message);
  }

  /**
   * Recall a sent message: your own within the app's window (default 120 s), or,
   * as a group's owner or admin, a member's. Everyone else who can see it gets
   * `MESSAGE_REVOKED`; history keeps it with `isRevoked: true`.
   * @param {Message} message
   * @returns {Promise<{code: 0, data: {message: Message}}>} the same object, now
   *   `isRevoked: true`; rejects with `{code, message, data: {message}}` (20016 or
   *   10031 past the window, 10007 not yours, 10032 already recalled)
   */
  revokeMessage(message) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!(message instanceof Message)) throw invalidParam(this.#log, 'message', 'a Message');
    return this.#revokeMessage(message);
  }

  /**
   * Delete messages for this account only: they leave its history, its catch-up,
   * its conversation's last message and unread count, here and on its other
   * connections (Hutong's `onMessageDeleted`, TIM.HUTONG_EVENT), and stay for
   * everyone else. One conversation at a time; the first 30 are used.
   * @param {Message[]} messageList
   * @returns {Promise<{code: 0, data: {messageList: Message[]}}>} each `isDeleted:
   *   true`; rejects 6017 (not one conversation's Messages), 2116 (system notices),
   *   10030 (a message the server does not show this account)
   */
  deleteMessage(messageList) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    let batch;
    try {
      batch = deleteBatch(messageList);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#deleteMessages(batch);
  }

  /**
   * The cached message with this ID, or null (synchronous, as TIM's).
   * @param {string} messageID
   * @returns {Message|null}
   */
  findMessage(messageID) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (typeof messageID !== 'string') throw invalidParam(this.#log, 'messageID', 'a string');
    return this.#store.find(messageID);
  }

  // --- history and read state ---

  /**
   * A page of a conversation's history from the server, oldest first. Pass the
   * answer's `nextReqMessageID` to get the page before it.
   * @param {{conversationID: string, nextReqMessageID?: string, count?: number}} options
   *   `count` 1-15, default 15 (more is an argument error, as in TIM)
   * @returns {Promise<{code: 0, data: {messageList: Message[], nextReqMessageID: string,
   *   isCompleted: boolean}}>}
   */
  getMessageList(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    const {conversationID, nextReqMessageID, count = MAX_MESSAGE_PAGE} = options;
    if (typeof conversationID !== 'string' || !conversationID) {
      throw invalidParam(this.#log, 'conversationID', 'a non-empty string');
    }
    if (nextReqMessageID != null && typeof nextReqMessageID !== 'string') {
      throw invalidParam(this.#log, 'nextReqMessageID', 'a string');
    }
    if (!Number.isInteger(count) || count < 1 || count > MAX_MESSAGE_PAGE) {
      throw invalidParam(this.#log, 'count', `an integer from 1 to ${MAX_MESSAGE_PAGE}`);
    }
    return this.#getMessageList(conversationID, nextReqMessageID ?? '', count);
  }

  /**
   * Mark everything in a conversation read: its unread count drops to 0 here at
   * once, on the server, and on this account's other connections.
   * @param {{conversationID: string}} options
   * @returns {Promise<{code: 0, data: {}}>}
   */
  setMessageRead(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options) || typeof options.conversationID !== 'string') {
      throw invalidParam(this.#log, 'conversationID', 'a string');
    }
    return this.#setMessageRead(options.conversationID);
  }

  // --- conversations ---

  /**
   * The conversation list, fetched from the server (its 100 most recent
   * conversations), pinned first, then newest first. The SDK keeps it up to date from
   * then on and announces it with `CONVERSATION_LIST_UPDATED`.
   * @param {string[]|{type?: string}} [filter] only these conversationIDs, or this type
   * @returns {Promise<{code: 0, data: {conversationList: Object[], isSyncCompleted: boolean}}>}
   */
  getConversationList(filter) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (filter !== undefined && !Array.isArray(filter) && !isPlainObject(filter)) {
      throw invalidParam(this.#log, 'filter', 'an array of conversationIDs or {type}');
    }
    return this.#syncConversations().then(() => {
      let list = this.#conversations.sorted();
      if (Array.isArray(filter)) list = list.filter((c) => filter.includes(c.conversationID));
      else if (filter?.type) list = list.filter((c) => c.type === filter.type);
      return {code: 0, data: {conversationList: list, isSyncCompleted: true}};
    });
  }

  /**
   * One conversation from the server, with its profile (the peer's nick, the
   * group's name), unread count and last message. A conversation without messages
   * comes back with `unreadCount: 0` and `lastMessage: null`.
   * @param {string} conversationID
   * @returns {Promise<{code: 0, data: {conversation: Object}}>}
   */
  getConversationProfile(conversationID) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (typeof conversationID !== 'string' || !conversationID) {
      throw invalidParam(this.#log, 'conversationID', 'a non-empty string');
    }
    return this.#fetchConversation(conversationID).then((conversation) => ({
      code: 0,
      data: {conversation},
    }));
  }

  /**
   * Remove a conversation from this account's list (on every connection) and mark
   * it read. Its messages stay: the next message brings it back with its history.
   * @param {string|{conversationIDList: string[]}} options one conversationID, or up
   *   to 100 of them (TIM's list form; Hutong keeps the history either way)
   * @returns {Promise<{code: 0, data: {conversationID: string}|{conversationIDList: string[]}}>}
   *   rejects (6004) when none of them is in the list
   */
  deleteConversation(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (typeof options === 'string' && options) {
      return this.#deleteConversations([options]).then(() => ({
        code: 0,
        data: {conversationID: options},
      }));
    }
    const list = isPlainObject(options) ? options.conversationIDList : undefined;
    if (!Array.isArray(list) || !list.length || !list.every((id) => typeof id === 'string')) {
      throw invalidParam(this.#log, 'options', 'a conversationID or {conversationIDList}');
    }
    return this.#deleteConversations(list.slice(0, MAX_DELETE_CONVERSATIONS)).then((deleted) => ({
      code: 0,
      data: {conversationIDList: deleted},
    }));
  }

  /**
   * Pin a conversation of the list to its top, or unpin it, on every connection of
   * this account (the server keeps it). The list re-sorts (pinned first) and is
   * announced with CONVERSATION_LIST_UPDATED.
   * @param {{conversationID: string, isPinned: boolean}} options
   * @returns {Promise<{code: 0, data: {conversationID: string}}>} rejects with 6004
   *   when the conversation is not in the list
   */
  pinConversation(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const {conversationID, isPinned} = pinOptions(this.#log, options);
    return this.#request('pinConversation', {conversationID, isPinned}).then(() => {
      if (this.#session) this.#conversations.setPinned(conversationID, isPinned);
      return {code: 0, data: {conversationID}};
    });
  }

  /**
   * How a group's messages reach this account, on every session of it: with
   * AcceptAndNotify as usual; with AcceptNotNotify as usual but not counted in the
   * total unread; with Discard not at all until it is set back (they are stored, so
   * history has them). TIM's C2C form, `{userIDList (first 30), messageRemindType}`,
   * sets the conversations with those users (AcceptAndNotify or AcceptNotNotify; a
   * conversation not started yet takes it too) and resolves with
   * `{successUserIDList: [{userID}], failureUserIDList: [{userID, code, message}]}`.
   * @param {{groupID: string, messageRemindType: string}} options a
   *   TIM.TYPES.MSG_REMIND_* value
   * @returns {Promise<{code: 0, data: {group: Object}}>} rejects with 10007 (not a member)
   */
  setMessageRemindType(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (isC2CRemind(options)) {
      const data = c2cRemindOptions(this.#log, options);
      return this.#request('setMessageRemindType', data).then((answer) => {
        const result = c2cRemindResult(answer);
        for (const {userID} of result.successUserIDList) {
          if (this.#session) {
            this.#conversations.setRemindType(c2cConversationID(userID), data.messageRemindType);
          }
        }
        return {code: 0, data: result};
      });
    }
    const groupID = this.#checkGroupID(options);
    const {messageRemindType} = options;
    if (!REMIND_TYPES.includes(messageRemindType)) {
      throw invalidParam(this.#log, 'messageRemindType', 'a TIM.TYPES.MSG_REMIND_* value');
    }
    return this.#groupRequest('setMessageRemindType', {groupID, messageRemindType}).then(
      (result) => {
        this.#applyRemindType(groupID, messageRemindType);
        return {code: 0, data: {group: result.group}};
      },
    );
  }

  /**
   * The sum of the unread counts (synchronous, as TIM's), without the conversations
   * set to AcceptNotNotify or Discard (TIM's rule).
   * @returns {number}
   */
  getTotalUnreadMessageCount() {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    return this.#conversations.totalUnread();
  }

  // --- profiles and the blacklist ---

  /**
   * This account's profile: the one held (from an answer or a push of the last few
   * minutes), or the server's.
   * @returns {Promise<{code: 0, data: Object}>} TIM's Profile
   */
  getMyProfile() {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const held = this.#profiles.mine();
    if (held) return Promise.resolve({code: 0, data: held});
    const since = this.#profiles.version;
    return this.#request('getMyProfile').then((result) => {
      const profile = makeProfile(result.profile);
      if (this.#session) this.#profiles.setMine(profile, since);
      return {code: 0, data: profile};
    });
  }

  /**
   * Some accounts' profiles, from the server; the first 100 userIDs are read (TIM's).
   * @param {{userIDList: string[]}} options
   * @returns {Promise<{code: 0, data: Object[]}>} Profiles in the order asked, each
   *   userID once; those with no account are left out
   */
  getUserProfile(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    const userIDList = this.#checkUserIDList(options.userIDList).slice(0, MAX_USER_PROFILES);
    return this.#request('getUserProfile', {userIDList}).then((result) => ({
      code: 0,
      data: profilesOf(result.profileList),
    }));
  }

  /**
   * Change this account's profile: any of TIM's fields (TIM.TYPES.GENDER_*,
   * ALLOW_TYPE_*, FORBID_TYPE_* for the choices). `avatar` is TIM's URL, or (Hutong's
   * extension) a File, Blob or `<input type=file>`: the picture is uploaded first, with
   * `onProgress(0..1)`, and the server keeps a 256 px square of it. Emits
   * PROFILE_UPDATED here too, and the account's other connections and everyone who shows
   * its nick get it from the server.
   * @returns {Promise<{code: 0, data: Object}>} the new Profile; rejects with 2722 no
   *   field, 2721 not a profile field, the avatar's 2251/2252/2253/2108 (no picture, not an
   *   image, over 10 MB, empty), or the server's (40601, 40603, 40604, 40009, 2400)
   */
  updateMyProfile(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    let update;
    try {
      update = profileUpdate(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#updateMyProfile(update);
  }

  /**
   * This account's blacklist: the one held once read (answers and pushes keep it), or
   * the server's.
   * @returns {Promise<{code: 0, data: string[]}>} userIDs, oldest entry first
   */
  getBlacklist() {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const held = this.#profiles.blacklist();
    if (held) return Promise.resolve({code: 0, data: held});
    return this.#blacklistRequest('getBlacklist');
  }

  /**
   * Put accounts on the blacklist: their C2C messages to this account are refused
   * (20007). All or nothing.
   * @param {{userIDList: string[]}} options 1-1,000 userIDs
   * @returns {Promise<{code: 0, data: string[]}>} the whole blacklist after the call;
   *   rejects with 2742 (your own userID), 30001, 30003 (no such account), 30013 (over 1,000)
   */
  addToBlacklist(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    const userIDList = this.#checkUserIDList(options.userIDList);
    if (userIDList.includes(this.#session.userID)) {
      const text = 'you cannot put yourself on your blacklist';
      return Promise.reject(new IMError(ERROR.BLACKLIST_SELF, text));
    }
    return this.#blacklistRequest('addToBlacklist', {userIDList});
  }

  /**
   * Take accounts off the blacklist; those not on it are no error.
   * @param {{userIDList: string[]}} options 1-1,000 userIDs
   * @returns {Promise<{code: 0, data: string[]}>} the whole blacklist after the call
   */
  removeFromBlacklist(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    return this.#blacklistRequest('removeFromBlacklist', {
      userIDList: this.#checkUserIDList(options.userIDList),
    });
  }

  // --- groups ---

  /**
   * Create a group; the caller becomes its owner. The group's conversation joins
   * the list with its first message.
   * @param {{name: string, type?: string, groupID?: string,
   *   memberList?: {userID: string, role?: string, memberCustomField?: Object[]}[],
   *   introduction?: string, notification?: string, avatar?: string, joinOption?: string,
   *   maxMemberNum?: number, groupCustomField?: {key: string, value: string}[]}} options
   *   `type` defaults to TIM.TYPES.GRP_WORK. The creator of an AVChatRoom is not in it
   *   (nor in the group list) until it calls joinGroup.
   * @returns {Promise<{code: 0, data: {group: Object, overLimitUserIDList: string[]}}>}
   *   rejects with the server's code (10019 a member does not exist, 10021 groupID taken)
   */
  createGroup(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    const {name, type = TYPES.GRP_WORK, memberList = []} = options;
    if (typeof name !== 'string' || !name) {
      throw invalidParam(this.#log, 'name', 'a non-empty string');
    }
    if (typeof type !== 'string') throw invalidParam(this.#log, 'type', 'a TIM.TYPES.GRP_* value');
    const validMember = (m) =>
      isPlainObject(m) &&
      typeof m.userID === 'string' &&
      (m.role === undefined || typeof m.role === 'string') &&
      (m.memberCustomField === undefined || isCustomField(m.memberCustomField));
    if (!Array.isArray(memberList) || !memberList.every(validMember)) {
      throw invalidParam(this.#log, 'memberList', 'an array of {userID, role?, memberCustomField?}');
    }
    const data = {
      name,
      type,
      memberList: memberList.map(({userID, role, memberCustomField}) => {
        const member = {userID};
        if (role !== undefined) member.role = role;
        if (memberCustomField !== undefined) member.memberCustomField = memberCustomField;
        return member;
      }),
    };
    for (const key of ['groupID', 'introduction', 'notification', 'avatar', 'joinOption']) {
      if (options[key] === undefined) continue;
      if (typeof options[key] !== 'string') throw invalidParam(this.#log, key, 'a string');
      data[key] = options[key];
    }
    if (options.groupCustomField !== undefined) {
      data.groupCustomField = this.#checkCustomField(options.groupCustomField, 'groupCustomField');
    }
    if (options.maxMemberNum !== undefined) {
      if (!Number.isInteger(options.maxMemberNum) || options.maxMemberNum < 0) {
        throw invalidParam(this.#log, 'maxMemberNum', 'a non-negative integer');
      }
      data.maxMemberNum = options.maxMemberNum;
    }
    return this.#request('createGroup', data).then((result) => {
      const group = makeGroup(result.group ?? {});
      // The creator of an AVChatRoom is not in it (selfInfo {}) until joinGroup.
      const joined = group.type !== TYPES.GRP_AVCHATROOM;
      if (this.#session && group.groupID && joined) this.#groups.put(group);
      return {code: 0, data: {group, overLimitUserIDList: result.overLimitUserIDList ?? []}};
    });
  }

  /**
   * The groups this account is in, from the server, each with its `selfInfo`
   * (role, joinTime). The SDK keeps the list from then on (joins, a reconnect) and
   * announces it with `GROUP_LIST_UPDATED`.
   * @param {{groupProfileFilter?: string[]}} [options] accepted for TIM's sake; every
   *   field comes back anyway
   * @returns {Promise<{code: 0, data: {groupList: Object[]}}>}
   */
  getGroupList(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (options !== undefined && !isPlainObject(options)) {
      throw invalidParam(this.#log, 'options', 'an object');
    }
    return this.#refreshGroups().then(() => ({
      code: 0,
      data: {groupList: this.#groups.list()},
    }));
  }

  /**
   * One group's profile from the server. A group this account is in is updated in
   * the group list too, unless custom fields were filtered (the list keeps them all).
   * @param {{groupID: string, groupCustomFieldFilter?: string[],
   *   memberCustomFieldFilter?: string[]}} options the filters name the custom-field
   *   keys wanted; without them, all come
   * @returns {Promise<{code: 0, data: {group: Object}}>} rejects with 10010 (no such
   *   group) or 10007 (a Private group you are not in)
   */
  getGroupProfile(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options) || typeof options.groupID !== 'string' || !options.groupID) {
      throw invalidParam(this.#log, 'groupID', 'a non-empty string');
    }
    const {groupID} = options;
    const data = {groupID};
    for (const name of ['groupCustomFieldFilter', 'memberCustomFieldFilter']) {
      if (options[name] !== undefined) data[name] = this.#checkKeyList(options[name], name);
    }
    const filtered = Object.keys(data).length > 1;
    return this.#request('getGroupProfile', data).then((answer) => {
      const group = makeGroup(answer.group ?? {});
      if (!filtered && this.#session && this.#groups.has(groupID)) this.#groups.put(group);
      return {code: 0, data: {group}};
    });
  }

  /** A custom-field filter: an array of key strings. */
  #checkKeyList(keys, name) {
    if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) {
      throw invalidParam(this.#log, name, 'an array of strings');
    }
    return keys;
  }

  /**
   * Join a Public group, ChatRoom or AVChatRoom, or apply to one whose joinOption is
   * NeedPermission (its owner and admins get the application as a system notice).
   * A joined group is in the group list from the answer on.
   * @param {{groupID: string, applyMessage?: string, type?: string}} options `type`
   *   is TIM's hint for AVChatRoom; the server knows the type anyway
   * @returns {Promise<{code: 0, data: {status: string, group?: Object}}>} `status` a
   *   TIM.TYPES.JOIN_STATUS_* value; rejects with 10010 (no such group), 10007
   *   (Private, or DisableApply), 10014 (full)
   */
  joinGroup(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const data = {groupID};
    if (options.applyMessage !== undefined) {
      data.applyMessage = this.#checkString(options.applyMessage, 'applyMessage');
    }
    return this.#request('joinGroup', data).then((result) => {
      const status = result.status ?? TYPES.JOIN_STATUS_WAIT_APPROVAL;
      if (!isPlainObject(result.group)) return {code: 0, data: {status}};
      const group = makeGroup(result.group);
      if (this.#session && status !== TYPES.JOIN_STATUS_WAIT_APPROVAL && group.groupID) {
        this.#groups.put(group);
      }
      return {code: 0, data: {status, group}};
    });
  }

  /**
   * Leave a group. It leaves the group list, and its conversation the conversation
   * list, as TIM does. The owner of any group but a Private one must hand it over or
   * dismiss it instead (10009).
   * @param {string} groupID
   * @returns {Promise<{code: 0, data: {groupID: string}}>}
   */
  quitGroup(groupID) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    return this.#leaveRequest('quitGroup', this.#checkString(groupID, 'groupID', true));
  }

  /**
   * Dismiss a group (its owner; not a Private group). Every member gets a system
   * notice; the group and its messages are gone.
   * @param {string} groupID
   * @returns {Promise<{code: 0, data: {groupID: string}}>}
   */
  dismissGroup(groupID) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    return this.#leaveRequest('dismissGroup', this.#checkString(groupID, 'groupID', true));
  }

  /**
   * Invite accounts into a group (any member of a Private group; nobody else over
   * this protocol). They join at once and get an "invited" notice.
   * @param {{groupID: string, userIDList: string[]}} options 1-500 userIDs
   * @returns {Promise<{code: 0, data: {successUserIDList: string[],
   *   failureUserIDList: string[], existedUserIDList: string[],
   *   overLimitUserIDList: string[], group: Object}}>}
   */
  addGroupMember(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const userIDList = this.#checkUserIDList(options.userIDList, MAX_MEMBER_BATCH);
    return this.#groupRequest('addGroupMember', {groupID, userIDList}).then((result) => ({
      code: 0,
      data: {
        successUserIDList: result.successUserIDList ?? [],
        failureUserIDList: result.failureUserIDList ?? [],
        existedUserIDList: result.existedUserIDList ?? [],
        overLimitUserIDList: result.overLimitUserIDList ?? [],
        group: result.group,
      },
    }));
  }

  /**
   * Remove members (owner, or an admin removing plain members; in a Private group
   * only the owner). They get a "kicked" notice with `reason`.
   * @param {{groupID: string, userIDList: string[], reason?: string}} options
   * @returns {Promise<{code: 0, data: {group: Object, userIDList: string[]}}>}
   */
  deleteGroupMember(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const data = {groupID, userIDList: this.#checkUserIDList(options.userIDList, MAX_MEMBER_BATCH)};
    if (options.reason !== undefined) data.reason = this.#checkString(options.reason, 'reason');
    return this.#groupRequest('deleteGroupMember', data).then((result) => ({
      code: 0,
      data: {group: result.group, userIDList: result.userIDList ?? data.userIDList},
    }));
  }

  /**
   * A group by its ID, whether or not this account is in it: how a page finds a group
   * to join. Private groups are never found (10010).
   * @param {string} groupID
   * @returns {Promise<{code: 0, data: {group: Object}}>}
   */
  searchGroupByID(groupID) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    this.#checkString(groupID, 'groupID', true);
    return this.#groupAnswer('searchGroupByID', {groupID});
  }

  /**
   * A page of a group's members: the owner first, then by join time. Members only.
   * @param {{groupID: string, count?: number, offset?: number}} options `count` 1-100
   *   (default 15)
   * @returns {Promise<{code: 0, data: {memberList: Object[], offset: number}}>} `offset`
   *   where the next page starts, 0 after the last
   */
  getGroupMemberList(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const {count = DEFAULT_MEMBER_PAGE, offset = 0} = options;
    if (!Number.isInteger(count) || count < 1 || count > MAX_MEMBER_PAGE) {
      throw invalidParam(this.#log, 'count', `an integer from 1 to ${MAX_MEMBER_PAGE}`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw invalidParam(this.#log, 'offset', 'a non-negative integer');
    }
    return this.#request('getGroupMemberList', {groupID, count, offset}).then((result) => ({
      code: 0,
      data: {memberList: membersOf(result), offset: result.offset ?? 0},
    }));
  }

  /**
   * Some members' profiles in a group (role, name card, muteUntil); TIM uses the
   * first 50 userIDs. Members only.
   * @param {{groupID: string, userIDList: string[]}} options
   * @returns {Promise<{code: 0, data: {memberList: Object[]}}>} those who are members
   */
  getGroupMemberProfile(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const userIDList = this.#checkUserIDList(options.userIDList).slice(0, MAX_PROFILE_USERS);
    const data = {groupID, userIDList};
    if (options.memberCustomFieldFilter !== undefined) {
      data.memberCustomFieldFilter = this.#checkKeyList(
        options.memberCustomFieldFilter,
        'memberCustomFieldFilter',
      );
    }
    return this.#request('getGroupMemberProfile', data).then((result) => ({
      code: 0,
      data: {memberList: membersOf(result)},
    }));
  }

  /**
   * Make a member an admin, or an admin a member again (the owner; not in Private
   * groups).
   * @param {{groupID: string, userID: string, role: string}} options `role`
   *   TIM.TYPES.GRP_MBR_ROLE_ADMIN or GRP_MBR_ROLE_MEMBER
   * @returns {Promise<{code: 0, data: {group: Object, member: Object}}>}
   */
  setGroupMemberRole(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const userID = this.#checkString(options.userID, 'userID', true);
    const {role} = options;
    if (role !== TYPES.GRP_MBR_ROLE_ADMIN && role !== TYPES.GRP_MBR_ROLE_MEMBER) {
      throw invalidParam(this.#log, 'role', 'TIM.TYPES.GRP_MBR_ROLE_ADMIN or GRP_MBR_ROLE_MEMBER');
    }
    return this.#memberRequest('setGroupMemberRole', {groupID, userID, role});
  }

  /**
   * Mute a member for `muteTime` seconds from now; 0 unmutes. The owner, or an admin
   * muting a plain member; not in Private groups. A muted member's sends fail (10017).
   * @param {{groupID: string, userID: string, muteTime: number}} options
   * @returns {Promise<{code: 0, data: {group: Object, member: Object}}>}
   */
  setGroupMemberMuteTime(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const userID = this.#checkString(options.userID, 'userID', true);
    const {muteTime} = options;
    if (!Number.isInteger(muteTime) || muteTime < 0 || muteTime > MAX_MUTE_SECONDS) {
      throw invalidParam(this.#log, 'muteTime', 'a whole number of seconds, 0 to unmute');
    }
    return this.#memberRequest('setGroupMemberMuteTime', {groupID, userID, muteTime});
  }

  /**
   * Set a member's name card in the group (one's own by default).
   * @param {{groupID: string, userID?: string, nameCard: string}} options
   * @returns {Promise<{code: 0, data: {group: Object, member: Object}}>}
   */
  setGroupMemberNameCard(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const data = {groupID, nameCard: this.#checkString(options.nameCard, 'nameCard')};
    if (options.userID !== undefined) data.userID = this.#checkString(options.userID, 'userID', true);
    return this.#memberRequest('setGroupMemberNameCard', data);
  }

  /**
   * Set a member's custom fields in the group (one's own by default; who may, as for
   * name cards). The keys given are set, an empty value removes its key, other keys stay.
   * @param {{groupID: string, userID?: string,
   *   memberCustomField: {key: string, value: string}[]}} options
   * @returns {Promise<{code: 0, data: {group: Object, member: Object}}>} rejects with
   *   10004 for a key or value past the server's limits
   */
  setGroupMemberCustomField(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const memberCustomField = this.#checkCustomField(options.memberCustomField, 'memberCustomField');
    const data = {groupID, memberCustomField};
    if (options.userID !== undefined) data.userID = this.#checkString(options.userID, 'userID', true);
    return this.#memberRequest('setGroupMemberCustomField', data);
  }

  /**
   * Change a group's profile: owner and admins (in a Private group any member may
   * change name, introduction, notification and avatar). Members get a tip (6).
   * @param {{groupID: string, name?: string, introduction?: string,
   *   notification?: string, avatar?: string, muteAllMembers?: boolean,
   *   joinOption?: string, groupCustomField?: {key: string, value: string}[]}} options
   *   at least one field to change (custom fields: the keys given are set)
   * @returns {Promise<{code: 0, data: {group: Object}}>}
   */
  updateGroupProfile(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const data = {groupID: this.#checkGroupID(options)};
    for (const key of ['name', 'introduction', 'notification', 'avatar', 'joinOption']) {
      if (options[key] !== undefined) data[key] = this.#checkString(options[key], key);
    }
    if (options.muteAllMembers !== undefined) {
      if (typeof options.muteAllMembers !== 'boolean') {
        throw invalidParam(this.#log, 'muteAllMembers', 'a boolean');
      }
      data.muteAllMembers = options.muteAllMembers;
    }
    if (options.groupCustomField !== undefined) {
      data.groupCustomField = this.#checkCustomField(options.groupCustomField, 'groupCustomField');
    }
    return this.#groupAnswer('updateGroupProfile', data);
  }

  /**
   * Hand the group over to another member (the owner; not an AVChatRoom). The old
   * owner becomes a plain member.
   * @param {{groupID: string, newOwnerID: string}} options
   * @returns {Promise<{code: 0, data: {group: Object}}>}
   */
  changeGroupOwner(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    const groupID = this.#checkGroupID(options);
    const newOwnerID = this.#checkString(options.newOwnerID, 'newOwnerID', true);
    return this.#groupAnswer('changeGroupOwner', {groupID, newOwnerID});
  }

  /**
   * The pending join applications to the groups this account owns or administers.
   * @returns {Promise<{code: 0, data: {applicationList: Object[]}}>} items
   *   `{applicant, applicantNick, groupID, groupName, applicationType, userID,
   *   messageKey, authentication}`
   */
  getGroupApplicationList() {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    return this.#request('getGroupApplicationList').then((result) => ({
      code: 0,
      data: {
        applicationList: Array.isArray(result.applicationList)
          ? result.applicationList.filter(isPlainObject)
          : [],
      },
    }));
  }

  /**
   * Accept or refuse a join application. TIM takes the application's system notice
   * (`message`, from MESSAGE_RECEIVED or the @TIM#SYSTEM history) or an item of
   * getGroupApplicationList (`application`). Agreeing brings the applicant in.
   * @param {{handleAction: string, handleMessage?: string, message?: Message,
   *   application?: {groupID: string, applicant: string}}} options `handleAction`
   *   'Agree' or 'Reject'
   * @returns {Promise<{code: 0, data: {group: Object}}>} rejects with 10024 when the
   *   application was handled already (by another admin, say)
   */
  handleGroupApplication(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    const {handleAction, message, application} = options;
    if (handleAction !== 'Agree' && handleAction !== 'Reject') {
      throw invalidParam(this.#log, 'handleAction', "'Agree' or 'Reject'");
    }
    const target =
      applicationOf(message) ??
      (typeof application?.groupID === 'string' && typeof application?.applicant === 'string'
        ? {groupID: application.groupID, applicant: application.applicant}
        : null);
    if (!target) {
      throw invalidParam(this.#log, 'message', 'the join application\'s system notice');
    }
    const data = {...target, handleAction};
    if (options.handleMessage !== undefined) {
      data.handleMessage = this.#checkString(options.handleMessage, 'handleMessage');
    }
    return this.#groupAnswer('handleGroupApplication', data);
  }

  // --- internals: group actions ---

  #checkGroupID(options) {
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    return this.#checkString(options.groupID, 'groupID', true);
  }

  #checkString(value, name, nonEmpty = false) {
    if (typeof value !== 'string' || (nonEmpty && !value)) {
      throw invalidParam(this.#log, name, nonEmpty ? 'a non-empty string' : 'a string');
    }
    return value;
  }

  /** TIM's custom fields, `[{key, value}]` of strings; the server checks their limits. */
  #checkCustomField(list, name) {
    if (!isCustomField(list)) throw invalidParam(this.#log, name, 'an array of {key, value} strings');
    return list.map(({key, value}) => ({key, value}));
  }

  #checkUserIDList(list, max = Infinity) {
    const valid = Array.isArray(list) && list.length > 0 && list.length <= max;
    if (!valid || !list.every((id) => typeof id === 'string' && id)) {
      const most = max === Infinity ? '' : ` (at most ${max})`;
      throw invalidParam(this.#log, 'userIDList', `a non-empty array of userIDs${most}`);
    }
    return [...list];
  }

  /**
   * A request whose answer carries the group as it now is: TIM's Group object in
   * the answer, and the listed group (if it is listed) updated to it.
   */
  async #groupRequest(op, data) {
    const result = await this.#request(op, data);
    if (isPlainObject(result.group)) {
      result.group = makeGroup(result.group);
      if (this.#session) this.#groups.refresh(result.group);
    }
    return result;
  }

  /** A request answered with `{group}`, as TIM's IMResponse. */
  async #groupAnswer(op, data) {
    const result = await this.#groupRequest(op, data);
    return {code: 0, data: {group: result.group}};
  }

  /** quitGroup, dismissGroup: the group is left at the answer; GROUP_LEFT follows. */
  async #leaveRequest(op, groupID) {
    await this.#request(op, {groupID});
    this.#leaveGroup(groupID);
    return {code: 0, data: {groupID}};
  }

  /**
   * A group's remind type changed (this session's answer, or the push to all of the
   * account's): the group and its conversation say so. Discard stops the group's
   * pushes, so its changes stop being followed: what it gets meanwhile is history,
   * not news to fetch after a reconnect or the next push. Set back, the group is
   * followed again from its latest change, which the server's profile tells.
   */
  #applyRemindType(groupID, messageRemindType) {
    if (!this.#session) return;
    const id = `${TYPES.CONV_GROUP}${groupID}`;
    const wasDiscard =
      this.#groups.get(groupID)?.selfInfo.messageRemindType === TYPES.MSG_REMIND_DISCARD ||
      this.#conversations.get(id)?.messageRemindType === TYPES.MSG_REMIND_DISCARD;
    this.#groups.setRemindType(groupID, messageRemindType);
    this.#conversations.setRemindType(id, messageRemindType);
    if (messageRemindType === TYPES.MSG_REMIND_DISCARD) {
      this.#changes.forget(id);
    } else if (wasDiscard && !this.#changes.follows(id)) {
      const session = this.#session;
      this.#fetchConversation(id)
        .then((conversation) => {
          const latest = conversation.changeSequence;
          if (this.#session === session && Number.isInteger(latest) && !this.#changes.follows(id)) {
            this.#changes.follow(id, latest);
          }
        })
        .catch((error) => this.#log.warn(`could not fetch conversation ${id}`, error));
    }
  }

  /** The set* member requests: `{group, member}` in TIM's shapes. */
  async #memberRequest(op, data) {
    const result = await this.#groupRequest(op, data);
    return {code: 0, data: {group: result.group, member: makeMember(result.member ?? {})}};
  }

  /**
   * This account is out of a group (it quit, was removed, the group was dismissed):
   * the group leaves the group list and its conversation the conversation list, as
   * TIM's do, and its changes are no longer followed.
   */
  #leaveGroup(groupID) {
    if (!this.#session) return;
    this.#groups.remove(groupID);
    const id = `${TYPES.CONV_GROUP}${groupID}`;
    this.#conversations.forget(id);
    this.#changes.forget(id);
  }

  /**
   * What new messages mean besides themselves: system notices are also announced as
   * GROUP_SYSTEM_NOTICE_RECEIVED (after MESSAGE_RECEIVED, one event per notice, as
   * TIM does), and, for messages heard `live`, group tips update the group list
   * (a join or a leave by fetching the group's profile, for its memberCount). The
   * tips a catch-up brings are older than the group list fetched with it.
   */
  #onGroupMessages(messages, {live}) {
    const me = this.#session?.userID;
    const recount = new Set();
    for (const message of messages) {
      if (message.type !== TYPES.MSG_GRP_TIP || !live) continue;
      this.#groups.applyTip(message.payload, me);
      const groupID = message.payload?.groupProfile?.groupID;
      if (tipChangesMembers(message.payload) && this.#groups.has(groupID)) recount.add(groupID);
    }
    for (const groupID of recount) {
      this.#groupRequest('getGroupProfile', {groupID}).catch((error) =>
        this.#log.warn(`could not refresh group ${groupID}`, error),
      );
    }
    for (const message of messages) {
      if (message.type !== TYPES.MSG_GRP_SYS_NOTICE) continue;
      this.#emit(EVENT.GROUP_SYSTEM_NOTICE_RECEIVED, {
        message,
        type: message.payload?.operationType,
      });
    }
  }

  // --- internals: profiles ---

  async #updateMyProfile({fields, avatarFile, onProgress}) {
    if (avatarFile) {
      const finished = await this.#uploads.uploadFile(avatarFile, AVATAR_RULE, onProgress);
      fields.avatar = {uuid: finished.uuid};
    }
    const result = await this.#request('updateMyProfile', fields);
    const profile = makeProfile(result.profile);
    // The acting connection gets no push: its answer does what the push would.
    if (this.#session) this.#applyProfiles([profile]);
    return {code: 0, data: profile};
  }

  /**
   * New profiles (a push, or our own update): what this instance holds shows them
   * (our profile, C2C conversations, last messages, held messages), then the page is told.
   */
  #applyProfiles(profiles) {
    for (const profile of profiles) {
      if (profile.userID === this.#session.userID) {
        this.#profiles.setMine(profile);
        // Messages made from now on carry the new nick and avatar.
        Object.assign(this.#session, {nick: profile.nick, avatar: profile.avatar});
      }
      this.#conversations.applyUserProfile(profile);
      this.#store.applySender(profile.userID, profile);
    }
    if (profiles.length) this.#emit(EVENT.PROFILE_UPDATED, profiles);
  }

  /** A blacklist op: its answer is the whole list, held from now on. */
  async #blacklistRequest(op, data) {
    const read = op === 'getBlacklist';
    // A change's answer is newer than anything held; a read's only if nothing came meanwhile.
    const since = read ? this.#profiles.version : undefined;
    const list = blacklistOf(await this.#request(op, data));
    // Our own change gets no push; the page hears of it as it would of another tab's.
    if (this.#session && this.#profiles.setBlacklist(list, since) && !read) {
      this.#emit(EVENT.BLACKLIST_UPDATED, [...list]);
    }
    return {code: 0, data: list};
  }

  // --- internals: events ---

  #emit(name, data) {
    this.#listeners.emit(name, data);
  }

  #setNetState(state) {
    if (state === this.#netState) return;
    this.#netState = state;
    this.#emit(EVENT.NET_STATE_CHANGE, {state});
  }

  // --- internals: the not-ready gate ---

  #destroyedError() {
    return new IMError(ERROR.NOT_INITIALISED, 'this SDK instance was destroyed: call TIM.create()');
  }

  /** Why a method that needs SDK_READY cannot run now, or null if it can. */
  #notReady() {
    if (this.#destroyed) return this.#destroyedError();
    if (this.#ready) return null;
    return new IMError(this.#notReadyCode, this.#notReadyText);
  }

  /** TIM's not-ready behaviour: a rejected promise, and the same error as an ERROR event. */
  #refuse(error) {
    this.#emit(EVENT.ERROR, {code: error.code, message: error.message});
    return Promise.reject(error);
  }

  // --- internals: the connection ---

  #request(op, data, timeout) {
    return this.#transport.request(op, data, timeout);
  }

  /** The socket closed, not on purpose. */
  #onConnectionLost(closeCode) {
    if (!this.#session) return;
    // Kicked, and the KICKED_OUT push went missing: reconnecting would kick the
    // newer instance in turn.
    if (closeCode === CLOSE_KICKED_OUT) this.#kick(TYPES.KICKED_OUT_MULT_ACCOUNT);
    else if (closeCode === ERROR.ORIGIN_REFUSED) this.#endSession(ERROR.ORIGIN_REFUSED);
    else this.#backoff.schedule(() => this.#reconnect());
  }

  /**
   * Check the connection now (the network is back, the page is looked at again):
   * a socket that seems open is asked for a heartbeat, which closes it if the
   * answer does not come; a reconnect waiting out its backoff is tried at once.
   */
  #probe() {
    if (!this.#session || this.#destroyed) return;
    if (this.#transport.isOpen) {
      if (this.#netState === TYPES.NET_STATE_CONNECTED) this.#transport.heartbeat();
    } else if (this.#backoff.hurry()) {
      this.#reconnect();
    }
  }

  /**
   * Log in again on a new socket, then fetch everything missed while the socket
   * was down (conversation list and read state, messages and recalls, groups), and
   * only then report 'connected' and send what waits in the outbox.
   */
  async #reconnect() {
    const session = this.#session;
    if (!session || this.#destroyed) return;
    try {
      await this.#transport.open();
      const data = await this.#request('login', this.#loginData(session.userID, session.userSig));
      if (this.#session === session) this.#armSigDeadline(data); // a sig renewed offline
    } catch (error) {
      if (this.#session !== session) return; // logged out or kicked meanwhile
      if (error.code === ERROR.USERSIG_EXPIRED) {
        this.#kick(TYPES.KICKED_OUT_USERSIG_EXPIRED);
      } else if (error.code === ERROR.KICKED_OUT) {
        // Kicked while away; the KICKED_OUT push with the reason normally came first.
        this.#kick(TYPES.KICKED_OUT_MULT_ACCOUNT);
      } else if (endsSession(error.code)) {
        this.#emit(EVENT.ERROR, {code: error.code, message: error.message});
        this.#endSession(ERROR.NOT_LOGGED_IN);
        this.#transport.close();
      } else if (this.#transport.socket) {
        this.#transport.drop(); // which schedules the next attempt
      } else if (!this.#backoff.waiting) {
        this.#backoff.schedule(() => this.#reconnect());
      }
      return;
    }
    this.#log.info('reconnected; catching up');
    this.#profiles.forget(); // a push about them may have been missed while away
    const socket = this.#transport.socket;
    const current = () => this.#session === session && this.#transport.socket === socket && socket;
    // A list fetch started before the drop answers for the old socket's moment.
    await this.#syncing?.catch(() => {});
    try {
      await Promise.all([this.#syncConversations({catchUpNew: true}), this.#refreshGroups()]);
    } catch (error) {
      this.#log.warn('could not catch up after reconnecting', error);
      // Reporting 'connected' now would claim a catch-up that did not happen; a
      // fresh connection tries again.
      if (current()) this.#transport.drop(socket);
      return;
    }
    if (!current()) return;
    this.#backoff.reset();
    this.#setNetState(TYPES.NET_STATE_CONNECTED);
    this.#flushOutbox();
  }

  // --- internals: pushes ---

  #onPush(event, data) {
    switch (event) {
      case 'SDK_READY':
        this.#onLoggedInPush();
        return;
      case 'KICKED_OUT':
        this.#kick(data?.type ?? TYPES.KICKED_OUT_MULT_ACCOUNT);
        return;
      case 'MESSAGE_RECEIVED':
      case 'MESSAGE_REVOKED':
      case 'CONVERSATION_UPDATED':
      case 'CONVERSATION_DELETED':
      case 'MESSAGE_DELETED':
      case 'GROUP_JOINED':
      case 'GROUP_LEFT':
      case 'MESSAGE_REMIND_TYPE_UPDATED':
        if (this.#session) this.#onAccountPush(event, data);
        return;
      case 'MESSAGE_READ_BY_PEER':
        // Hutong's wire form: {conversationID, peerReadSequence}; TIM's event: Message[].
        if (this.#session && typeof data?.conversationID === 'string') {
          this.#notePeerRead(data.conversationID, data.peerReadSequence);
        }
        return;
      case 'PROFILE_UPDATED':
        if (this.#session) this.#applyProfiles(profilesOf(data));
        return;
      case 'BLACKLIST_UPDATED':
        if (!this.#session) return;
        this.#profiles.setBlacklist(blacklistOf(data));
        this.#emit(EVENT.BLACKLIST_UPDATED, blacklistOf(data));
        return;
      default:
        if (Object.hasOwn(EVENT, event)) this.#emit(EVENT[event], data);
        else this.#log.warn(`ignored unknown push ${event}`);
    }
  }

  /** The pushes about the account's messages and conversations. */
  #onAccountPush(event, data) {
    if (event === 'MESSAGE_RECEIVED' || event === 'MESSAGE_REVOKED') {
      if (!Array.isArray(data)) return;
      const messages = [];
      const fresh = []; // a message that a catch-up delivered already is not news again
      const passing = []; // online-only: news once, held nowhere, counted nowhere
      for (const fields of data.filter(isPlainObject)) {
        if (isOnlineOnly(fields)) {
          const mine = fields.from === this.#session.userID;
          passing.push(new Message({...fields, flow: mine ? 'out' : 'in', isRead: mine}));
          continue;
        }
        const known = Boolean(this.#store.get(fields));
        const message = this.#adopt(fields);
        messages.push(message);
        if (!known) fresh.push(message);
        this.#changes.note(message.conversationID, message.changeSequence);
      }
      if (event === 'MESSAGE_RECEIVED') {
        if (passing.length) this.#emit(EVENT.MESSAGE_RECEIVED, passing);
        if (!messages.length) return;
        this.#noteMessages(messages);
        if (fresh.length) {
          this.#emit(EVENT.MESSAGE_RECEIVED, fresh);
          this.#onGroupMessages(fresh, {live: true});
        }
      } else {
        this.#conversations.noteRevoked(messages);
        this.#emit(EVENT.MESSAGE_REVOKED, messages);
      }
    } else if (event === 'CONVERSATION_UPDATED') {
      // Another connection of this account read it (Hutong's own push).
      if (!isPlainObject(data) || typeof data.conversationID !== 'string') return;
      this.#conversations.applyPush(data);
      this.#notePeerReads([data]);
    } else if (event === 'MESSAGE_DELETED') {
      // Hutong's own: another connection of this account deleted them for it.
      const {conversationID, messageIDList} = data ?? {};
      if (typeof conversationID !== 'string' || !Array.isArray(messageIDList)) return;
      const gone = this.#dropDeleted(conversationID, messageIDList, data.conversation);
      if (gone.length) this.#emit(HUTONG_EVENT.MESSAGE_DELETED, gone);
    } else if (event === 'CONVERSATION_DELETED') {
      if (typeof data?.conversationID === 'string') this.#conversations.forget(data.conversationID);
    } else if (event === 'GROUP_JOINED') {
      // Hutong's own: this connection hears the group's messages from now on. One
      // sent in the moment before (a member writing right after createGroup) never
      // reached it, and nothing else would reveal it: fetch what the group holds
      // after the push's changeSequence (the group's history before the join is
      // getMessageList's, not news).
      if (typeof data?.groupID !== 'string') return;
      const {groupID} = data;
      const {group, needsProfile} = joinedGroup(data, this.#groups.get(groupID), this.#session.userID);
      this.#groups.put(group);
      if (needsProfile) {
        this.#groupRequest('getGroupProfile', {groupID}).catch((error) =>
          this.#log.warn(`could not fetch group ${groupID}`, error),
        );
      }
      const id = `${TYPES.CONV_GROUP}${data.groupID}`;
      if (this.#changes.follows(id)) return;
      const from = Number.isInteger(data.changeSequence) ? data.changeSequence : 0;
      this.#changes.follow(id, from);
      this.#catchUp(id).catch((error) => this.#log.warn(`could not catch up on ${id}`, error));
    } else if (event === 'GROUP_LEFT') {
      // Hutong's own: quit, removed or dismissed; the notice (if any) comes separately.
      if (typeof data?.groupID === 'string') this.#leaveGroup(data.groupID);
    } else if (event === 'MESSAGE_REMIND_TYPE_UPDATED') {
      // Hutong's own: a session of this account (this one too) changed it.
      if (typeof data?.userID === 'string' && C2C_REMIND_TYPES.includes(data.messageRemindType)) {
        this.#conversations.setRemindType(c2cConversationID(data.userID), data.messageRemindType);
        return;
      }
      if (typeof data?.groupID !== 'string' || !REMIND_TYPES.includes(data.messageRemindType)) return;
      this.#applyRemindType(data.groupID, data.messageRemindType);
    }
  }

  // --- internals: login state ---

  #loginData(userID, userSig) {
    return {SDKAppID: this.#appID, userID, userSig, instanceID: this.#instanceID};
  }

  async #login(userID, userSig) {
    // One name per login() call, kept by its reconnects: the server refuses a
    // reconnect of an instance it kicked while this page was away.
    this.#instanceID = newInstanceID();
    await this.#transport.open();
    let data;
    try {
      data = await this.#request('login', this.#loginData(userID, userSig));
    } catch (error) {
      // Nothing to do on a connection that is not logged in; the server would close it.
      this.#transport.close();
      throw error;
    }
    if (this.#destroyed) throw this.#destroyedError(); // destroyed while waiting
    this.#session = {
      userID,
      userSig,
      tinyID: String(data.tinyID ?? ''),
      nick: data.nick ?? '',
      avatar: data.avatar ?? '',
    };
    this.#notReadyCode = ERROR.NOT_LOGGED_IN;
    this.#notReadyText = NOT_LOGGED_IN_TEXT;
    this.#backoff.reset();
    this.#setNetState(TYPES.NET_STATE_CONNECTED);
    this.#armSigDeadline(data);
    this.#log.info(`logged in as ${userID}`);
    return {code: 0, data};
  }

  /** Kick this session out (locally) when the sig that `data` (a login's or a
   * renewal's answer) names expires. */
  #armSigDeadline(data) {
    if (Number.isFinite(data.userSigExpireTime) && Number.isFinite(data.serverTime)) {
      // Server clock minus server clock: right even when the browser's clock is off.
      const deadline = Date.now() + (data.userSigExpireTime - data.serverTime) * 1000;
      this.#sigDeadline.arm(deadline, () => this.#kick(TYPES.KICKED_OUT_USERSIG_EXPIRED));
    }
  }

  /**
   * The server's SDK_READY, sent after every login. The first one becomes the
   * page's SDK_READY once the conversation list is in, so a page that reloads shows
   * the right counts at once; the ones after the SDK's own re-logins are not news.
   */
  #onLoggedInPush() {
    if (!this.#session || this.#ready || this.#readying) return;
    const session = this.#session;
    this.#readying = true;
    const groups = this.#refreshGroups({announce: false}).catch((error) =>
      this.#log.warn('could not fetch the group list', error),
    );
    const conversations = this.#syncConversations({announce: false}).catch((error) =>
      this.#log.warn('could not fetch the conversation list', error),
    );
    Promise.all([groups, conversations]).finally(() => {
      this.#readying = false;
      if (this.#session !== session || this.#ready) return;
      this.#ready = true;
      this.#emit(EVENT.SDK_READY);
      this.#listThrottle.flush();
      this.#groupThrottle.flush();
    });
  }

  async #logout() {
    this.#endSession(ERROR.NOT_LOGGED_IN);
    try {
      await this.#request('logout');
    } catch (error) {
      this.#log.warn('the server did not confirm the logout', error);
    }
    this.#transport.close();
  }

  /**
   * Kicked (pushed, or told by close code 4001, or the sig ran out): log out for
   * good. Nothing here reconnects afterwards; only the page's next login() does,
   * since coming back by itself would kick out the newer instance in turn.
   */
  #kick(type) {
    if (!this.#session) return;
    const {code, text} = kickOutcome(type);
    this.#log.warn(`kicked out: ${type}`);
    this.#endSession(code, type, text);
    this.#transport.close();
  }

  /**
   * Forget the session (and its data, as TIM does); later calls reject with `code`
   * and `text` until a new login.
   */
  #endSession(code, kickedOutType, text = NOT_LOGGED_IN_TEXT) {
    this.#session = null;
    this.#ready = false;
    this.#readying = false;
    this.#notReadyCode = code;
    this.#notReadyText = text;
    this.#sigDeadline.cancel();
    this.#backoff.cancel();
    this.#listThrottle.cancel();
    this.#groupThrottle.cancel();
    this.#conversations.clear();
    this.#store.clear();
    this.#peerReads.clear();
    this.#changes.clear();
    this.#groups.clear();
    this.#profiles.forget();
    // Only a session that ends fails the outbox; a connection that drops only delays it.
    this.#outbox.failAll(
      ERROR.REQUEST_FAILED,
      'the session ended before the message could be sent',
    );
    if (kickedOutType) this.#emit(EVENT.KICKED_OUT, {type: kickedOutType});
    this.#emit(EVENT.SDK_NOT_READY);
  }

  // --- internals: messages ---

  #checkMessageOptions(options) {
    if (!isPlainObject(options)) throw invalidParam(this.#log, 'options', 'an object');
    const {to, conversationType, payload, priority, cloudCustomData} = options;
    if (typeof to !== 'string') throw invalidParam(this.#log, 'to', 'a string');
    if (typeof conversationType !== 'string') {
      throw invalidParam(this.#log, 'conversationType', 'a string');
    }
    if (!isPlainObject(payload)) throw invalidParam(this.#log, 'payload', 'an object');
    if (priority !== undefined && !priorityOf(priority)) {
      throw invalidParam(this.#log, 'priority', 'a TIM.TYPES.MSG_PRIORITY_* value');
    }
    if (cloudCustomData !== undefined && typeof cloudCustomData !== 'string') {
      throw invalidParam(this.#log, 'cloudCustomData', 'a string');
    }
    if (conversationType !== TYPES.CONV_C2C && conversationType !== TYPES.CONV_GROUP) {
      const text = `conversationType must be TIM.TYPES.CONV_C2C or CONV_GROUP, not ${conversationType}`;
      throw new IMError(ERROR.INVALID_CONVERSATION, text);
    }
    if (!to) throw new IMError(ERROR.INVALID_CONVERSATION, 'to must name the receiver');
  }

  #createMediaMessage(options, type) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    this.#checkMessageOptions(options);
    const {onProgress} = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw invalidParam(this.#log, 'onProgress', 'a function');
    }
    const checked = checkedFile(type, options.payload);
    const url = URL.createObjectURL(checked.file);
    const message = this.#createMessage(options, type, previewPayload(type, checked, url));
    this.#uploads.attach(message, type, checked, onProgress);
    this.#uploads.keepURL(message, url);
    return message;
  }

  #createMessage(options, type, payload) {
    const session = this.#session;
    const {to, conversationType} = options;
    const clientTime = Math.floor(Date.now() / 1000);
    const random = Math.floor(Math.random() * 100_000_000);
    const clientSequence = ++this.#clientSequence;
    const prefix = conversationType === TYPES.CONV_C2C ? 'C2C' : 'GROUP';
    return new Message({
      // The server's ID for the message is the same string, so a message keeps its
      // ID from creation on, through a failure and a resend.
      ID: `${session.tinyID}-${clientTime}-${random}`,
      type,
      payload,
      conversationID: prefix + to,
      conversationType,
      to,
      from: session.userID,
      flow: 'out',
      time: clientTime,
      status: 'unSend',
      sequence: clientSequence, // TIM's C2C rule until the server numbers it
      clientSequence,
      random,
      priority: priorityOf(options.priority) ?? TYPES.MSG_PRIORITY_NORMAL,
      nick: session.nick,
      avatar: session.avatar,
      isRead: true,
      cloudCustomData: options.cloudCustomData ?? '',
      clientTime,
      senderTinyID: session.tinyID,
    });
  }

  /**
   * Send now when the connection is up and nothing waits before this message;
   * otherwise queue it in the outbox, to go out in order once the connection is back.
   */
  #sendMessage(message) {
    message.status = 'unSend';
    if (this.#uploads.pending(message)) return this.#uploadThenSend(message);
    if (this.#outbox.size || !this.#isConnected()) {
      // Known by its ID from now on: should an earlier attempt have reached the server
      // after all, the catch-up updates this object instead of announcing a copy.
      if (this.#session) this.#store.remember(message);
      return this.#outbox.add(message);
    }
    return this.#transmit(message).then(
      () => ({code: 0, data: {message}}),
      (error) => {
        message.status = 'fail';
        throw new IMError(error.code, error.message, {message});
      },
    );
  }

  /**
   * A media message's files go up first (while the page shows its preview), then it
   * is sent as any other, through the outbox if the connection is down by then.
   */
  async #uploadThenSend(message) {
    try {
      await this.#uploads.upload(message);
    } catch (error) {
      message.status = 'fail';
      throw new IMError(error.code, error.message, {...error.data, message});
    }
    return this.#sendMessage(message);
  }

  /** An online-only message: now or never, and nothing of it is kept. */
  async #sendOnlineOnly(message) {
    message.status = 'unSend';
    const fail = (code, text) => {
      message.status = 'fail';
      return new IMError(code, text, {message});
    };
    if (this.#uploads.pending(message)) {
      throw fail(ERROR.INVALID_PARAMS, 'an onlineUserOnly message cannot carry a file');
    }
    if (!this.#isConnected()) throw fail(ERROR.REQUEST_FAILED, 'not connected');
    try {
      await this.#transmit(message, {onlineOnly: true});
    } catch (error) {
      throw fail(error.code, error.message);
    }
    return {code: 0, data: {message}};
  }

  /** One sendMessage request; the answer's fields go into `message`. */
  async #transmit(message, {onlineOnly = false} = {}) {
    // random and clientTime are the message's own, kept from creation: a resend of
    // one the server already stored is recognised by them.
    const data = await this.#request('sendMessage', {
      to: message.to,
      conversationType: message.conversationType,
      type: message.type,
      // A media message names its uploads; its payload is the preview until the answer.
      payload: this.#uploads.wire(message) ?? message.payload,
      random: message.random,
      clientTime: message.clientTime,
      clientSequence: message.clientSequence,
      priority: message.priority,
      cloudCustomData: message.cloudCustomData,
      ...(onlineOnly ? {onlineUserOnly: true} : {}),
      ...(message.atUserList.length ? {atUserList: message.atUserList} : {}),
      ...(this.#forwards.has(message) && {forwardFrom: this.#forwards.get(message)}),
    });
    Object.assign(message, data.message, {status: 'success', flow: 'out', isRead: true});
    if (onlineOnly) return;
    this.#uploads.sent(message);
    if (this.#session) {
      this.#store.remember(message);
      this.#changes.note(message.conversationID, message.changeSequence);
      this.#noteMessages([message]);
    }
  }

  /** Whether a request can go out now: logged in on an open socket, and caught up. */
  #isConnected() {
    return (
      Boolean(this.#session) &&
      this.#netState === TYPES.NET_STATE_CONNECTED &&
      this.#transport.isOpen
    );
  }

  /**
   * Send what waits in the outbox. A connection that fails under a message keeps it
   * first in line for after the reconnect; if that attempt did reach the server, its
   * random and clientTime make the server answer with the stored copy. No answer on
   * an open socket means a dead one: it is dropped, to reconnect now.
   */
  #flushOutbox() {
    let socket = null;
    return this.#outbox.flush({
      canSend: () => this.#isConnected(),
      send: (message) => {
        socket = this.#transport.socket;
        return this.#transmit(message);
      },
      keep: (error) => {
        if (error.code !== ERROR.REQUEST_FAILED || !this.#session) return false;
        if (socket) this.#transport.drop(socket);
        return true;
      },
    });
  }

  async #revokeMessage(message) {
    let data;
    try {
      data = await this.#request('revokeMessage', {
        conversationID: message.conversationID,
        ID: message.ID,
      });
    } catch (error) {
      throw new IMError(error.code, error.message, {message});
    }
    message.isRevoked = true;
    message.revoker = data.message?.revoker ?? this.#session?.userID ?? null;
    if (Number.isInteger(data.message?.changeSequence)) {
      message.changeSequence = data.message.changeSequence;
    }
    if (this.#session) {
      this.#store.remember(message);
      this.#changes.note(message.conversationID, message.changeSequence);
      this.#conversations.noteRevoked([message]);
    }
    return {code: 0, data: {message}};
  }

  async #deleteMessages({conversationID, messages}) {
    // A message never sent (failed, or waiting) is this page's alone.
    const sent = messages.filter((message) => message.status === 'success');
    if (sent.length) {
      const data = await this.#request('deleteMessage', {
        conversationID,
        messageIDList: sent.map((message) => message.ID),
      });
      this.#dropDeleted(conversationID, sent.map((message) => message.ID), data.conversation);
    }
    for (const message of messages) message.isDeleted = true;
    return {code: 0, data: {messageList: messages}};
  }

  /** Messages deleted for this account: out of the store, the conversation as the server sees it. */
  #dropDeleted(conversationID, ids, conversation) {
    const gone = this.#store.forget(conversationID, ids);
    if (isPlainObject(conversation) && conversation.conversationID === conversationID) {
      this.#conversations.applyDeleted(conversation);
    }
    return gone;
  }

  async #getMessageList(conversationID, nextReqMessageID, count) {
    const data = await this.#request('getMessageList', {conversationID, nextReqMessageID, count});
    const list = Array.isArray(data.messageList) ? data.messageList : [];
    const messageList = this.#session ? list.map((fields) => this.#adopt(fields)) : [];
    return {
      code: 0,
      data: {
        messageList,
        nextReqMessageID: data.nextReqMessageID ?? '',
        isCompleted: Boolean(data.isCompleted),
      },
    };
  }

  async #setMessageRead(conversationID) {
    const read = this.#conversations.markRead(conversationID);
    this.#store.markRead(conversationID);
    try {
      await this.#request('setMessageRead', {conversationID});
    } finally {
      read.answered = true;
    }
    return {code: 0, data: {}};
  }

  /** The Message for server `fields`, as the store keeps it for this account. */
  #adopt(fields) {
    const message = this.#store.adopt(fields, this.#session?.userID);
    this.#peerReads.settle([message]); // a copy older than a read already known here
    return message;
  }

  /**
   * The C2C peer has read up to `sequence` (the push, or a conversation's
   * `peerReadSequence`): the messages of ours held here that it covers become
   * `isPeerRead` and are announced, and so does a last message it covers.
   */
  #notePeerRead(id, sequence) {
    if (!this.#peerReads.advance(id, sequence)) return;
    const changed = this.#peerReads.settle(this.#store.inConversation(id));
    this.#conversations.notePeerRead(id, sequence);
    if (changed.length) this.#emit(EVENT.MESSAGE_READ_BY_PEER, changed.sort(bySequence));
  }

  /**
   * The read marks of server Conversations: a push lost while away is made up, and a
   * snapshot taken before a read known here does not undo it.
   */
  #notePeerReads(list) {
    for (const fields of list) {
      const sequence = peerReadSequenceOf(fields);
      if (sequence !== null) this.#notePeerRead(fields.conversationID, sequence);
      const known = this.#peerReads.get(fields.conversationID);
      if (known) this.#conversations.notePeerRead(fields.conversationID, known);
    }
  }

  // --- internals: conversations ---

  /** New messages: the list notes them; a conversation they reveal is asked about. */
  #noteMessages(messages) {
    for (const id of this.#conversations.noteMessages(messages)) {
      this.#fetchConversation(id).catch((error) =>
        this.#log.warn(`could not fetch conversation ${id}`, error),
      );
    }
  }

  /** The server's version of one conversation; merged into the list if it is there. */
  async #fetchConversation(id) {
    const stamp = this.#conversations.stamp();
    const data = await this.#request('getConversationProfile', {conversationID: id});
    const conversation = this.#conversations.applyProfile(
      id,
      data.conversation,
      stamp,
      Boolean(this.#session),
    );
    if (this.#session) this.#notePeerReads([data.conversation]);
    return conversation;
  }

  /**
   * Replace the list with the server's (newest first, up to 100), then fetch the
   * changes this instance missed in the conversations it follows (after a reconnect,
   * or a lost push). Shared by callers that overlap.
   * @param {{announce?: boolean, catchUpNew?: boolean}} [options] `catchUpNew`: after a
   *   reconnect, a conversation new to this instance began while it was away, so its
   *   messages are news too (the last MAX_SYNC_PAGE changes of it, at most)
   */
  #syncConversations({announce = true, catchUpNew = false} = {}) {
    if (this.#syncing) return this.#syncing;
    const session = this.#session;
    const run = async () => {
      const stamp = this.#conversations.stamp();
      const data = await this.#request('getConversationList');
      if (this.#session !== session) return;
      const valid = (c) =>
        isPlainObject(c) && typeof c.conversationID === 'string' && typeof c.type === 'string';
      const list = Array.isArray(data.conversationList) ? data.conversationList.filter(valid) : [];
      this.#conversations.replace(list, stamp);
      this.#notePeerReads(list);
      const recent = catchUpNew ? MAX_SYNC_PAGE : undefined;
      // A Discard group's messages are not pushed, so not news to fetch either.
      const behind = [];
      for (const c of list) {
        const id = c.conversationID;
        if (c.messageRemindType === TYPES.MSG_REMIND_DISCARD) this.#changes.forget(id);
        else if (this.#changes.learn(id, c.changeSequence, {recent})) behind.push(id);
      }
      // The list's counts already include what the catch-up brings: no refresh.
      await Promise.all(
        behind.map((id) =>
          this.#catchUp(id, {refresh: false}).catch((error) =>
            this.#log.warn(`could not catch up on ${id}`, error),
          ),
        ),
      );
      if (announce) this.#listThrottle.flush();
    };
    this.#syncing = run().finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  /**
   * Fetch a conversation's changes after the last one applied here (syncMessages),
   * and announce them: new messages as MESSAGE_RECEIVED, recalls of held ones as
   * MESSAGE_REVOKED. `refresh` then takes the conversation's count from the server,
   * since a message that arrives late skews the local count.
   */
  #catchUp(id, {refresh = true} = {}) {
    const running = this.#catchingUp.get(id);
    if (running) return running;
    const session = this.#session;
    const run = async () => {
      let from = this.#changes.seen(id);
      const received = [];
      const revoked = [];
      for (;;) {
        const data = await this.#request('syncMessages', {
          conversationID: id,
          changeSequence: from,
          count: MAX_SYNC_PAGE,
        });
        if (this.#session !== session) return;
        const list = Array.isArray(data.messageList) ? data.messageList.filter(isPlainObject) : [];
        for (const fields of list) {
          const known = this.#store.get(fields);
          const wasRevoked = known?.isRevoked;
          const message = this.#adopt(fields);
          if (!known) received.push(message);
          else if (message.isRevoked && !wasRevoked) revoked.push(message);
        }
        if (Number.isInteger(data.changeSequence)) from = Math.max(from, data.changeSequence);
        if (data.isCompleted || !list.length) break;
      }
      this.#changes.caughtUp(id, from);
      received.sort(bySequence);
      // A conversation new here fetches its profile (and count) as it is noted.
      const listed = this.#conversations.has(id);
      if (received.length) {
        this.#noteMessages(received);
        this.#emit(EVENT.MESSAGE_RECEIVED, received);
        this.#onGroupMessages(received, {live: false});
      }
      if (revoked.length) {
        this.#conversations.noteRevoked(revoked);
        this.#emit(EVENT.MESSAGE_REVOKED, revoked);
      }
      if (refresh && received.length && listed) await this.#fetchConversation(id);
    };
    const promise = run().finally(() => this.#catchingUp.delete(id));
    this.#catchingUp.set(id, promise);
    return promise;
  }

  async #deleteConversations(ids) {
    const deleted = [];
    let firstError = null;
    for (const id of ids) {
      try {
        await this.#request('deleteConversation', {conversationID: id});
      } catch (error) {
        firstError ??= error;
        continue;
      }
      deleted.push(id);
      this.#conversations.forget(id);
    }
    if (!deleted.length) throw firstError;
    return deleted;
  }

  /** Announce the list (and the total, when it changed). */
  #announceList() {
    if (!this.#ready) return; // SDK_READY announces the first list itself
    this.#emit(EVENT.CONVERSATION_LIST_UPDATED, this.#conversations.sorted());
    const total = this.#conversations.takeTotalChange();
    if (total !== null) this.#emit(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, total);
  }

  // --- internals: groups ---

  /** Replace the group list with the server's. Shared by callers that overlap. */
  #refreshGroups({announce = true} = {}) {
    if (this.#groupsFetch) return this.#groupsFetch;
    const session = this.#session;
    const run = async () => {
      const data = await this.#request('getGroupList');
      if (this.#session !== session) return;
      this.#groups.replace(Array.isArray(data.groupList) ? data.groupList : []);
      // At once, not throttled: a reconnect reports 'connected' only after this.
      if (announce) this.#groupThrottle.flush();
    };
    this.#groupsFetch = run().finally(() => {
      this.#groupsFetch = null;
    });
    return this.#groupsFetch;
  }

  /** Announce the group list, unless it is what the last announcement said. */
  #announceGroups() {
    if (!this.#ready) return; // SDK_READY comes first; it announces the list itself
    const list = this.#groups.takeChange();
    if (list) this.#emit(EVENT.GROUP_LIST_UPDATED, list);
  }
}

const instances = new Map(); // SDKAppID → its one instance

/**
 * The SDK instance for an app; the same SDKAppID gives the same instance until
 * it is destroyed.
 * @param {{SDKAppID: number|string, server?: string, proxyServer?: string}} options
 *   `server` is the Hutong server's address (`https://im.example.com`), for a page
 *   served from another site; by default, the page's own. `proxyServer` is a WebSocket
 *   URL to use as it is instead (ws(s)://…/ws/im/).
 * @returns {TIMInstance|null} null when SDKAppID is not a number, as TIM does
 */
function create(options) {
  const log = new Logger();
  if (!isPlainObject(options)) throw invalidParam(log, 'options', 'an object');
  const {SDKAppID, server, proxyServer} = options;
  const numeric =
    (typeof SDKAppID === 'number' && Number.isSafeInteger(SDKAppID) && SDKAppID >= 0) ||
    (typeof SDKAppID === 'string' && /^\d{1,15}$/.test(SDKAppID));
  if (!numeric) {
    log.error('SDKAppID must be a number');
    return null;
  }
  const appID = Number(SDKAppID);
  if (instances.has(appID)) return instances.get(appID);
  if (proxyServer !== undefined && (typeof proxyServer !== 'string' || !/^wss?:\/\//.test(proxyServer))) {
    throw invalidParam(log, 'proxyServer', 'a ws:// or wss:// URL');
  }
  if (server !== undefined && (typeof server !== 'string' || !/^https?:\/\/[^/]/i.test(server))) {
    throw invalidParam(log, 'server', 'an http:// or https:// address');
  }
  const url = proxyServer ?? socketURL(server);
  if (!url) throw invalidParam(log, 'server', 'given outside a browser page');
  const instance = new TIMInstance(appID, url);
  instances.set(appID, instance);
  return instance;
}

const TIM = {create, TYPES, EVENT, VERSION, ERROR, HUTONG_EVENT};

export default TIM;
