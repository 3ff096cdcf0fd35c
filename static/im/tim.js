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
 * An ES module without a build step. It holds no secret: the page gets its
 * UserSig from its own server.
 */

// TIM's constants, copied name for name and value for value from TIM Web SDK v2
// (shared/tim-api/constants.json), so code that compares against them works unchanged.
const TYPES = Object.freeze({
  MSG_TEXT: 'TIMTextElem',
  MSG_IMAGE: 'TIMImageElem',
  MSG_SOUND: 'TIMSoundElem',
  MSG_AUDIO: 'TIMSoundElem',
  MSG_FILE: 'TIMFileElem',
  MSG_FACE: 'TIMFaceElem',
  MSG_VIDEO: 'TIMVideoFileElem',
  MSG_GEO: 'TIMLocationElem',
  MSG_LOCATION: 'TIMLocationElem',
  MSG_GRP_TIP: 'TIMGroupTipElem',
  MSG_GRP_SYS_NOTICE: 'TIMGroupSystemNoticeElem',
  MSG_CUSTOM: 'TIMCustomElem',
  MSG_MERGER: 'TIMRelayElem',
  MSG_PRIORITY_HIGH: 'High',
  MSG_PRIORITY_NORMAL: 'Normal',
  MSG_PRIORITY_LOW: 'Low',
  MSG_PRIORITY_LOWEST: 'Lowest',
  CONV_C2C: 'C2C',
  CONV_GROUP: 'GROUP',
  CONV_TOPIC: 'TOPIC',
  CONV_SYSTEM: '@TIM#SYSTEM',
  CONV_AT_ME: 1,
  CONV_AT_ALL: 2,
  CONV_AT_ALL_AT_ME: 3,
  CONV_MARK_TYPE_STAR: 1,
  CONV_MARK_TYPE_UNREAD: 2,
  CONV_MARK_TYPE_FOLD: 4,
  CONV_MARK_TYPE_HIDE: 8,
  GRP_PRIVATE: 'Private',
  GRP_WORK: 'Private',
  GRP_PUBLIC: 'Public',
  GRP_CHATROOM: 'ChatRoom',
  GRP_MEETING: 'ChatRoom',
  GRP_AVCHATROOM: 'AVChatRoom',
  GRP_COMMUNITY: 'Community',
  GRP_MBR_ROLE_OWNER: 'Owner',
  GRP_MBR_ROLE_ADMIN: 'Admin',
  GRP_MBR_ROLE_MEMBER: 'Member',
  GRP_MBR_ROLE_CUSTOM: 'Custom',
  GRP_TIP_MBR_JOIN: 1,
  GRP_TIP_MBR_QUIT: 2,
  GRP_TIP_MBR_KICKED_OUT: 3,
  GRP_TIP_MBR_SET_ADMIN: 4,
  GRP_TIP_MBR_CANCELED_ADMIN: 5,
  GRP_TIP_GRP_PROFILE_UPDATED: 6,
  GRP_TIP_MBR_PROFILE_UPDATED: 7,
  GRP_TIP_BAN_AVCHATROOM_MEMBER: 10,
  GRP_TIP_UNBAN_AVCHATROOM_MEMBER: 11,
  MSG_REMIND_ACPT_AND_NOTE: 'AcceptAndNotify',
  MSG_REMIND_ACPT_NOT_NOTE: 'AcceptNotNotify',
  MSG_REMIND_DISCARD: 'Discard',
  GENDER_UNKNOWN: 'Gender_Type_Unknown',
  GENDER_FEMALE: 'Gender_Type_Female',
  GENDER_MALE: 'Gender_Type_Male',
  KICKED_OUT_MULT_ACCOUNT: 'multipleAccount',
  KICKED_OUT_MULT_DEVICE: 'multipleDevice',
  KICKED_OUT_USERSIG_EXPIRED: 'userSigExpired',
  KICKED_OUT_REST_API: 'REST_API_Kick',
  ALLOW_TYPE_ALLOW_ANY: 'AllowType_Type_AllowAny',
  ALLOW_TYPE_NEED_CONFIRM: 'AllowType_Type_NeedConfirm',
  ALLOW_TYPE_DENY_ANY: 'AllowType_Type_DenyAny',
  FORBID_TYPE_NONE: 'AdminForbid_Type_None',
  FORBID_TYPE_SEND_OUT: 'AdminForbid_Type_SendOut',
  JOIN_OPTIONS_FREE_ACCESS: 'FreeAccess',
  JOIN_OPTIONS_NEED_PERMISSION: 'NeedPermission',
  JOIN_OPTIONS_DISABLE_APPLY: 'DisableApply',
  JOIN_STATUS_SUCCESS: 'JoinedSuccess',
  JOIN_STATUS_ALREADY_IN_GROUP: 'AlreadyInGroup',
  JOIN_STATUS_WAIT_APPROVAL: 'WaitAdminApproval',
  INVITE_OPTIONS_DISABLE_INVITE: 'DisableInvite',
  INVITE_OPTIONS_NEED_PERMISSION: 'NeedPermission',
  INVITE_OPTIONS_FREE_ACCESS: 'FreeAccess',
  GRP_PROFILE_OWNER_ID: 'ownerID',
  GRP_PROFILE_CREATE_TIME: 'createTime',
  GRP_PROFILE_LAST_INFO_TIME: 'lastInfoTime',
  GRP_PROFILE_MEMBER_NUM: 'memberNum',
  GRP_PROFILE_MAX_MEMBER_NUM: 'maxMemberNum',
  GRP_PROFILE_JOIN_OPTION: 'joinOption',
  GRP_PROFILE_INVITE_OPTION: 'inviteOption',
  GRP_PROFILE_INTRODUCTION: 'introduction',
  GRP_PROFILE_NOTIFICATION: 'notification',
  GRP_PROFILE_MUTE_ALL_MBRS: 'muteAllMembers',
  SNS_ADD_TYPE_SINGLE: 'Add_Type_Single',
  SNS_ADD_TYPE_BOTH: 'Add_Type_Both',
  SNS_DELETE_TYPE_SINGLE: 'Delete_Type_Single',
  SNS_DELETE_TYPE_BOTH: 'Delete_Type_Both',
  SNS_APPLICATION_TYPE_BOTH: 'Pendency_Type_Both',
  SNS_APPLICATION_SENT_TO_ME: 'Pendency_Type_ComeIn',
  SNS_APPLICATION_SENT_BY_ME: 'Pendency_Type_SendOut',
  SNS_APPLICATION_AGREE: 'Response_Action_Agree',
  SNS_APPLICATION_AGREE_AND_ADD: 'Response_Action_AgreeAndAdd',
  SNS_CHECK_TYPE_BOTH: 'CheckResult_Type_Both',
  SNS_CHECK_TYPE_SINGLE: 'CheckResult_Type_Single',
  SNS_TYPE_NO_RELATION: 'CheckResult_Type_NoRelation',
  SNS_TYPE_A_WITH_B: 'CheckResult_Type_AWithB',
  SNS_TYPE_B_WITH_A: 'CheckResult_Type_BWithA',
  SNS_TYPE_BOTH_WAY: 'CheckResult_Type_BothWay',
  NET_STATE_CONNECTED: 'connected',
  NET_STATE_CONNECTING: 'connecting',
  NET_STATE_DISCONNECTED: 'disconnected',
  MSG_AT_ALL: '__kImSDK_MesssageAtALL__',
  READ_ALL_C2C_MSG: 'readAllC2CMessage',
  READ_ALL_GROUP_MSG: 'readAllGroupMessage',
  READ_ALL_MSG: 'readAllMessage',
  USER_STATUS_UNKNOWN: 0,
  USER_STATUS_ONLINE: 1,
  USER_STATUS_OFFLINE: 2,
  USER_STATUS_UNLOGINED: 3,
});

const EVENT = Object.freeze({
  SDK_READY: 'sdkStateReady',
  SDK_NOT_READY: 'sdkStateNotReady',
  SDK_DESTROY: 'sdkDestroy',
  MESSAGE_RECEIVED: 'onMessageReceived',
  MESSAGE_MODIFIED: 'onMessageModified',
  MESSAGE_REVOKED: 'onMessageRevoked',
  MESSAGE_READ_BY_PEER: 'onMessageReadByPeer',
  MESSAGE_READ_RECEIPT_RECEIVED: 'onMessageReadReceiptReceived',
  MESSAGE_EXTENSIONS_UPDATED: 'onMessageExtensionsUpdated',
  MESSAGE_EXTENSIONS_DELETED: 'onMessageExtensionsDeleted',
  CONVERSATION_LIST_UPDATED: 'onConversationListUpdated',
  TOTAL_UNREAD_MESSAGE_COUNT_UPDATED: 'onTotalUnreadMessageCountUpdated',
  CONVERSATION_GROUP_LIST_UPDATED: 'onConversationGroupListUpdated',
  CONVERSATION_IN_GROUP_UPDATED: 'onConversationInGroupUpdated',
  GROUP_LIST_UPDATED: 'onGroupListUpdated',
  GROUP_SYSTEM_NOTICE_RECEIVED: 'receiveGroupSystemNotice',
  GROUP_ATTRIBUTES_UPDATED: 'groupAttributesUpdated',
  GROUP_COUNTER_UPDATED: 'onGroupCounterUpdated',
  TOPIC_CREATED: 'onTopicCreated',
  TOPIC_DELETED: 'onTopicDeleted',
  TOPIC_UPDATED: 'onTopicUpdated',
  PROFILE_UPDATED: 'onProfileUpdated',
  USER_STATUS_UPDATED: 'onUserStatusUpdated',
  BLACKLIST_UPDATED: 'blacklistUpdated',
  FRIEND_LIST_UPDATED: 'onFriendListUpdated',
  FRIEND_GROUP_LIST_UPDATED: 'onFriendGroupListUpdated',
  FRIEND_APPLICATION_LIST_UPDATED: 'onFriendApplicationListUpdated',
  KICKED_OUT: 'kickedOut',
  ERROR: 'error',
  NET_STATE_CHANGE: 'netStateChange',
  SDK_RELOAD: 'sdkReload',
});

// The TIM release whose API this SDK follows; pages sometimes branch on it.
const VERSION = '2.27.6';

// Codes of the errors the SDK raises itself. They are the numbers of the seed's
// table (native TIM codes), not the web SDK's 2xxx/3xxx ones; see API.md §6.3.
const ERR = Object.freeze({
  INVALID_CONVERSATION: 6004,
  REQUEST_FAILED: 6010,
  NOT_INITIALISED: 6013,
  NOT_LOGGED_IN: 6014,
  IN_PROGRESS: 6015,
  USERSIG_EXPIRED: 6206,
  KICKED_OUT: 6208,
  // Not the SDK's own: the server's code for a frame over its cap, raised here
  // because the server could not tell which request such a frame was.
  FRAME_TOO_LARGE: 93000,
});

const NOT_READY_TEXT = {
  [ERR.NOT_LOGGED_IN]: 'not logged in: call login() and wait for SDK_READY',
  [ERR.USERSIG_EXPIRED]: 'the UserSig expired: log in again with a new one',
  [ERR.KICKED_OUT]: 'kicked out by a login elsewhere: log in again',
};

const REQUEST_TIMEOUT_MS = 15000;
const HEARTBEAT_MS = 30000;
const MAX_FRAME_BYTES = 65536; // the server's cap (protocol.md)
const LIST_THROTTLE_MS = 200; // TIM waits 1 s; a chat page feels slow with that
const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 16000, 30000];
const MAX_TIMEOUT_MS = 2 ** 31 - 1; // setTimeout fires at once past this

const PRIORITY_BY_NUMBER = {
  1: TYPES.MSG_PRIORITY_HIGH,
  2: TYPES.MSG_PRIORITY_NORMAL,
  3: TYPES.MSG_PRIORITY_LOW,
  4: TYPES.MSG_PRIORITY_LOWEST,
};

/** A priority as TIM.TYPES names it (numbers 1-4 accepted, as TIM does), or undefined. */
function priorityOf(value) {
  if (Object.values(PRIORITY_BY_NUMBER).includes(value)) return value;
  return Object.hasOwn(PRIORITY_BY_NUMBER, value) ? PRIORITY_BY_NUMBER[value] : undefined;
}

// What a conversation shows as its last message when that is not text.
const LABELS = {
  [TYPES.MSG_IMAGE]: '[Image]',
  [TYPES.MSG_AUDIO]: '[Voice]',
  [TYPES.MSG_VIDEO]: '[Video]',
  [TYPES.MSG_FILE]: '[File]',
  [TYPES.MSG_FACE]: '[Sticker]',
  [TYPES.MSG_LOCATION]: '[Location]',
  [TYPES.MSG_CUSTOM]: '[Custom Message]',
  [TYPES.MSG_MERGER]: '[Chat History]',
};

/** What every failed promise of the SDK rejects with: an Error with `code` and `data`. */
class IMError extends Error {
  constructor(code, message, data = {}) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

class Logger {
  level = 1;

  debug(...args) {
    if (this.level <= 0) console.debug('[TIM]', ...args);
  }

  info(...args) {
    if (this.level <= 1) console.info('[TIM]', ...args);
  }

  warn(...args) {
    if (this.level <= 2) console.warn('[TIM]', ...args);
  }

  error(...args) {
    if (this.level <= 3) console.error('[TIM]', ...args);
  }
}

/**
 * A message, with the fields of TIM's Message. Made by `createTextMessage` or
 * from a server push; `sendMessage` only accepts instances.
 */
class Message {
  constructor(fields) {
    this.ID = '';
    this.type = '';
    this.payload = {};
    this.conversationID = '';
    this.conversationType = '';
    this.conversationSubType = undefined;
    this.to = '';
    this.from = '';
    this.flow = 'in';
    this.time = 0;
    this.status = 'success';
    this.sequence = 0;
    this.clientSequence = 0;
    this.random = 0;
    this.priority = TYPES.MSG_PRIORITY_NORMAL;
    this.nick = '';
    this.avatar = '';
    this.nameCard = '';
    this.isPeerRead = false;
    this.isRead = false;
    this.isRevoked = false;
    this.revoker = null;
    this.isDeleted = false;
    this.isModified = false;
    this.version = 0;
    this.isResend = false;
    this.isSystemMessage = false;
    this.isPlaceMessage = false;
    this.isBroadcastMessage = false;
    this.atUserList = [];
    this.cloudCustomData = '';
    this.needReadReceipt = false;
    this.readReceiptInfo = {readCount: 0, unreadCount: 0, isPeerRead: false};
    this.isSupportExtension = false;
    this.clientTime = 0;
    this.senderTinyID = '';
    this.protocol = 'JSON';
    Object.assign(this, fields);
  }
}

/** TIM's rule for a bad argument: a synchronous throw, with the culprit on the console. */
function invalidParam(log, name, expected) {
  log.error(`${name} must be ${expected}`);
  return new Error('Params validate failed.');
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function byteLength(text) {
  return new TextEncoder().encode(text).length;
}

function defaultServerURL() {
  if (typeof location === 'undefined') return null;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws/im/`;
}

function lastMessageOf(message) {
  const isText = message.type === TYPES.MSG_TEXT;
  return {
    lastTime: message.time,
    lastSequence: message.sequence,
    fromAccount: message.from,
    messageForShow: isText ? message.payload.text : LABELS[message.type] ?? '[Message]',
    payload: message.payload,
    type: message.type,
    isRevoked: message.isRevoked,
    cloudCustomData: message.cloudCustomData,
    onlineOnlyFlag: false,
    nick: message.nick,
    nameCard: message.nameCard,
    version: message.version,
    isPeerRead: message.isPeerRead,
    revoker: message.revoker,
  };
}

function isAfter(message, lastMessage) {
  if (!lastMessage) return true;
  if (message.time !== lastMessage.lastTime) return message.time > lastMessage.lastTime;
  return message.sequence >= lastMessage.lastSequence;
}

function newestFirst(a, b) {
  const x = a.lastMessage;
  const y = b.lastMessage;
  return (y?.lastTime ?? 0) - (x?.lastTime ?? 0) || (y?.lastSequence ?? 0) - (x?.lastSequence ?? 0);
}

/** One SDK instance: one socket, one logged-in account. Made by `TIM.create`. */
class TIMInstance {
  #appID;
  #url;
  #log = new Logger();
  #plugins = {};
  #listeners = new Map(); // event name → [{handler, ctx, once}]
  #destroyed = false;

  #socket = null;
  #opening = null; // the promise of the socket being opened, while it is
  #netState = null;
  #nextRequestID = 1;
  #pending = new Map(); // request id → {op, socket, resolve, reject, timer}
  #heartbeatTimer = null;
  #reconnectTimer = null;
  #reconnectAttempt = 0;

  // {userID, userSig, tinyID, nick, avatar} from a successful login until logout or a kick;
  // kept while the socket reconnects, so the SDK can log in again by itself.
  #session = null;
  #loginPromise = null;
  #ready = false;
  #notReadyCode = ERR.NOT_LOGGED_IN;
  #sigTimer = null;
  #clientSequence = 0;

  #conversations = new Map(); // conversationID → Conversation
  #listTimer = null;
  #totalUnread = 0;

  constructor(appID, url) {
    this.#appID = appID;
    this.#url = url;
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
    this.#addListener(name, handler, ctx, false);
  }

  /**
   * Like `on`, for the next emission only.
   * @param {string} name
   * @param {function({name: string, data: *}): void} handler
   * @param {*} [ctx]
   */
  once(name, handler, ctx) {
    this.#addListener(name, handler, ctx, true);
  }

  /**
   * Stop listening. Without `ctx`, removes the handler whatever its context.
   * @param {string} name
   * @param {function} handler
   * @param {*} [ctx]
   * @param {boolean} [once] only remove listeners added with `once`
   */
  off(name, handler, ctx, once) {
    this.#checkListener(name, handler);
    const kept = (this.#listeners.get(name) ?? []).filter(
      (l) =>
        l.handler !== handler ||
        (ctx !== undefined && l.ctx !== ctx) ||
        (once !== undefined && l.once !== once),
    );
    this.#listeners.set(name, kept);
  }

  // --- session ---

  /**
   * Log in. The server's login reply becomes `data`; `SDK_READY` follows.
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
      return Promise.reject(new IMError(ERR.IN_PROGRESS, 'a login is already in progress'));
    }
    if (this.#session) {
      if (this.#session.userID !== userID) {
        const text = `logged in as ${this.#session.userID}: call logout() first`;
        return Promise.reject(new IMError(ERR.IN_PROGRESS, text));
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
   * Log out; emits `SDK_NOT_READY`. Resolves even when the server cannot be told.
   * @returns {Promise<{code: 0, data: {}}>}
   */
  logout() {
    if (this.#destroyed) return Promise.reject(this.#destroyedError());
    if (!this.#session) {
      return Promise.reject(new IMError(ERR.NOT_LOGGED_IN, 'not logged in'));
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
    this.#closeSocket();
    clearTimeout(this.#listTimer);
    if (instances.get(this.#appID) === this) instances.delete(this.#appID);
    this.#emit(EVENT.SDK_DESTROY, {SDKAppID: this.#appID});
    return {code: 0, data: {}};
  }

  // --- messages ---

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
   * Send a message made by a `create*Message` method. On success the server's
   * fields (status 'success', time, sequence, ID) are merged into the same object.
   * @param {Message} message
   * @returns {Promise<{code: 0, data: {message: Message}}>} rejects with
   *   `{code, message, data: {message}}`, the message's status then 'fail'
   */
  sendMessage(message) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!(message instanceof Message)) {
      throw invalidParam(this.#log, 'message', 'a Message made by a create*Message method');
    }
    return this.#sendMessage(message);
  }

  // --- conversations ---

  /**
   * The conversations this instance has seen since login, newest first.
   * @param {string[]} [conversationIDList] only these
   * @returns {Promise<{code: 0, data: {conversationList: Object[], isSyncCompleted: boolean}}>}
   */
  getConversationList(conversationIDList) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (conversationIDList !== undefined && !Array.isArray(conversationIDList)) {
      throw invalidParam(this.#log, 'conversationIDList', 'an array of conversationIDs');
    }
    let list = this.#sortedConversations();
    if (conversationIDList) list = list.filter((c) => conversationIDList.includes(c.conversationID));
    return Promise.resolve({code: 0, data: {conversationList: list, isSyncCompleted: true}});
  }

  /**
   * Clear a conversation's unread count. The server keeps no read cursor yet,
   * so this is local to the instance.
   * @param {{conversationID: string}} options
   * @returns {Promise<{code: 0, data: {}}>}
   */
  setMessageRead(options) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (!isPlainObject(options) || typeof options.conversationID !== 'string') {
      throw invalidParam(this.#log, 'conversationID', 'a string');
    }
    const conversation = this.#conversations.get(options.conversationID);
    if (conversation && conversation.unreadCount) {
      conversation.unreadCount = 0;
      this.#scheduleListUpdate();
    }
    return Promise.resolve({code: 0, data: {}});
  }

  /**
   * The sum of the unread counts (synchronous, as TIM's).
   * @returns {number}
   */
  getTotalUnreadMessageCount() {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    return this.#countUnread();
  }

  // --- internals: events ---

  #checkListener(name, handler) {
    if (typeof name !== 'string' || !name) throw invalidParam(this.#log, 'name', 'an event name');
    if (typeof handler !== 'function') throw invalidParam(this.#log, 'handler', 'a function');
  }

  #addListener(name, handler, ctx, once) {
    this.#checkListener(name, handler);
    if (!this.#listeners.has(name)) this.#listeners.set(name, []);
    this.#listeners.get(name).push({handler, ctx, once});
  }

  #emit(name, data) {
    const listeners = this.#listeners.get(name);
    if (!listeners?.length) return;
    this.#listeners.set(name, listeners.filter((l) => !l.once));
    for (const {handler, ctx} of listeners) {
      // One failing handler must not stop the others, nor the SDK's own bookkeeping.
      try {
        handler.call(ctx, {name, data});
      } catch (error) {
        this.#log.error(`a handler of ${name} threw`, error);
      }
    }
  }

  #setNetState(state) {
    if (state === this.#netState) return;
    this.#netState = state;
    this.#emit(EVENT.NET_STATE_CHANGE, {state});
  }

  // --- internals: the not-ready gate ---

  #destroyedError() {
    return new IMError(ERR.NOT_INITIALISED, 'this SDK instance was destroyed: call TIM.create()');
  }

  /** Why a method that needs SDK_READY cannot run now, or null if it can. */
  #notReady() {
    if (this.#destroyed) return this.#destroyedError();
    if (this.#ready) return null;
    return new IMError(this.#notReadyCode, NOT_READY_TEXT[this.#notReadyCode]);
  }

  /** TIM's not-ready behaviour: a rejected promise, and the same error as an ERROR event. */
  #refuse(error) {
    this.#emit(EVENT.ERROR, {code: error.code, message: error.message});
    return Promise.reject(error);
  }

  // --- internals: the socket ---

  #ensureOpen() {
    if (this.#socket?.readyState === WebSocket.OPEN) return Promise.resolve();
    if (this.#opening) return this.#opening;
    const url = this.#url;
    const opening = new Promise((resolve, reject) => {
      let socket;
      try {
        socket = new WebSocket(url);
      } catch (error) {
        reject(new IMError(ERR.REQUEST_FAILED, `cannot connect to ${url}: ${error.message}`));
        return;
      }
      this.#socket = socket;
      this.#setNetState(TYPES.NET_STATE_CONNECTING);
      socket.onopen = () => {
        resolve();
        if (this.#socket !== socket) return;
        this.#setNetState(TYPES.NET_STATE_CONNECTED);
        this.#heartbeatTimer = setInterval(() => this.#heartbeat(), HEARTBEAT_MS);
      };
      socket.onmessage = (event) => {
        if (this.#socket === socket) this.#onFrame(event.data);
      };
      socket.onclose = (event) => {
        // No-op if the socket had opened; otherwise the connection attempt failed.
        reject(new IMError(ERR.REQUEST_FAILED, `cannot connect to ${url}`));
        this.#onSocketClosed(socket, event);
      };
    });
    const guarded = opening.finally(() => {
      if (this.#opening === guarded) this.#opening = null;
    });
    this.#opening = guarded;
    return guarded;
  }

  /** Close on purpose: cleans up now, so the close handler neither repeats it nor reconnects. */
  #closeSocket() {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = null;
    this.#opening = null;
    this.#socketGone();
    socket.close(1000);
  }

  #onSocketClosed(socket, event) {
    for (const [id, entry] of this.#pending) {
      if (entry.socket !== socket) continue;
      this.#pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(new IMError(ERR.REQUEST_FAILED, `connection closed before the ${entry.op} answer`));
    }
    if (this.#socket !== socket) return; // closed on purpose; already cleaned up
    this.#log.warn(`connection closed (code ${event.code})`);
    this.#socket = null;
    this.#socketGone();
    if (this.#session) this.#scheduleReconnect();
  }

  #socketGone() {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
    this.#setNetState(TYPES.NET_STATE_DISCONNECTED);
  }

  #heartbeat() {
    // A heartbeat without an answer means a dead connection the browser has not
    // noticed yet; closing it makes the SDK reconnect now rather than much later.
    const socket = this.#socket;
    this.#request('heartbeat').catch(() => {
      if (this.#socket === socket && socket) socket.close(4000);
    });
  }

  #scheduleReconnect() {
    const delays = RECONNECT_DELAYS_MS;
    const delay = delays[Math.min(this.#reconnectAttempt, delays.length - 1)];
    this.#reconnectAttempt += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#reconnect(), delay);
  }

  async #reconnect() {
    this.#reconnectTimer = null;
    const session = this.#session;
    if (!session || this.#destroyed) return;
    try {
      await this.#ensureOpen();
      await this.#request('login', this.#loginData(session.userID, session.userSig));
      this.#reconnectAttempt = 0;
      this.#log.info('reconnected');
    } catch (error) {
      if (this.#session !== session) return; // logged out meanwhile
      if (error.code === ERR.REQUEST_FAILED) {
        // The close handler schedules the next attempt; a silent socket is closed for it.
        this.#socket?.close(4000);
      } else if (error.code === 70001) {
        this.#kick(TYPES.KICKED_OUT_USERSIG_EXPIRED);
      } else {
        this.#emit(EVENT.ERROR, {code: error.code, message: error.message});
        this.#endSession(ERR.NOT_LOGGED_IN);
        this.#closeSocket();
      }
    }
  }

  // --- internals: requests and frames ---

  #request(op, data) {
    const socket = this.#socket;
    if (socket?.readyState !== WebSocket.OPEN) {
      return Promise.reject(new IMError(ERR.REQUEST_FAILED, `not connected: ${op} not sent`));
    }
    const id = this.#nextRequestID++;
    const frame = JSON.stringify(data === undefined ? {id, op} : {id, op, data});
    const size = byteLength(frame);
    if (size > MAX_FRAME_BYTES) {
      const text = `${op} frame is ${size} bytes; the limit is ${MAX_FRAME_BYTES}`;
      return Promise.reject(new IMError(ERR.FRAME_TOO_LARGE, text));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new IMError(ERR.REQUEST_FAILED, `no answer to ${op} within 15 s`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, {op, socket, resolve, reject, timer});
      this.#log.debug('→', op === 'login' ? {id, op} : frame);
      socket.send(frame);
    });
  }

  #onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.#log.warn('ignored a frame that is not JSON');
      return;
    }
    if (!isPlainObject(frame)) return;
    this.#log.debug('←', frame);
    if (typeof frame.event === 'string') {
      this.#onPush(frame.event, frame.data);
      return;
    }
    const entry = this.#pending.get(frame.id);
    if (!entry) {
      // An answer to no request of ours (the server could not read the frame).
      if (frame.code) this.#emit(EVENT.ERROR, {code: frame.code, message: frame.message ?? ''});
      return;
    }
    this.#pending.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.code === 0) entry.resolve(frame.data ?? {});
    else entry.reject(new IMError(frame.code, frame.message ?? ''));
  }

  #onPush(event, data) {
    if (event === 'SDK_READY') {
      // Sent after every login, including the SDK's own after a reconnect,
      // which the page has no reason to hear about.
      if (this.#session && !this.#ready) {
        this.#ready = true;
        this.#emit(EVENT.SDK_READY);
      }
    } else if (event === 'MESSAGE_RECEIVED') {
      if (!this.#session || !Array.isArray(data)) return;
      const messages = data.map((fields) => this.#receivedMessage(fields));
      this.#noteMessages(messages);
      this.#emit(EVENT.MESSAGE_RECEIVED, messages);
    } else if (event === 'KICKED_OUT') {
      this.#kick(data?.type ?? TYPES.KICKED_OUT_MULT_ACCOUNT);
    } else if (Object.hasOwn(EVENT, event)) {
      this.#emit(EVENT[event], data);
    } else {
      this.#log.warn(`ignored unknown push ${event}`);
    }
  }

  // --- internals: login state ---

  #loginData(userID, userSig) {
    return {SDKAppID: this.#appID, userID, userSig};
  }

  async #login(userID, userSig) {
    await this.#ensureOpen();
    let data;
    try {
      data = await this.#request('login', this.#loginData(userID, userSig));
    } catch (error) {
      // Nothing to do on a connection that is not logged in; the server would close it.
      this.#closeSocket();
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
    this.#notReadyCode = ERR.NOT_LOGGED_IN;
    this.#reconnectAttempt = 0;
    if (Number.isFinite(data.userSigExpireTime) && Number.isFinite(data.serverTime)) {
      // Server clock minus server clock: right even when the browser's clock is off.
      this.#armSigTimer(Date.now() + (data.userSigExpireTime - data.serverTime) * 1000);
    }
    this.#log.info(`logged in as ${userID}`);
    return {code: 0, data};
  }

  async #logout() {
    this.#endSession(ERR.NOT_LOGGED_IN);
    try {
      await this.#request('logout');
    } catch (error) {
      this.#log.warn('the server did not confirm the logout', error);
    }
    this.#closeSocket();
  }

  /** The sig's end: TIM's server kicks the session then; Hutong's SDK does it itself. */
  #armSigTimer(deadline) {
    clearTimeout(this.#sigTimer);
    const wait = deadline - Date.now();
    if (wait <= 0) {
      this.#kick(TYPES.KICKED_OUT_USERSIG_EXPIRED);
      return;
    }
    this.#sigTimer = setTimeout(() => this.#armSigTimer(deadline), Math.min(wait, MAX_TIMEOUT_MS));
  }

  #kick(type) {
    if (!this.#session) return;
    const code = type === TYPES.KICKED_OUT_USERSIG_EXPIRED ? ERR.USERSIG_EXPIRED : ERR.KICKED_OUT;
    this.#log.warn(`kicked out: ${type}`);
    this.#endSession(code, type);
    this.#closeSocket();
  }

  /** Forget the session (and its data, as TIM does); later calls reject with `code`. */
  #endSession(code, kickedOutType) {
    this.#session = null;
    this.#ready = false;
    this.#notReadyCode = code;
    clearTimeout(this.#sigTimer);
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#listTimer);
    this.#sigTimer = this.#reconnectTimer = this.#listTimer = null;
    this.#reconnectAttempt = 0;
    this.#conversations.clear();
    this.#totalUnread = 0;
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
      throw new IMError(ERR.INVALID_CONVERSATION, text);
    }
    if (!to) throw new IMError(ERR.INVALID_CONVERSATION, 'to must name the receiver');
  }

  #createMessage(options, type, payload) {
    const session = this.#session;
    const {to, conversationType} = options;
    const clientTime = Math.floor(Date.now() / 1000);
    const random = Math.floor(Math.random() * 100_000_000);
    const clientSequence = ++this.#clientSequence;
    const prefix = conversationType === TYPES.CONV_C2C ? 'C2C' : 'GROUP';
    return new Message({
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

  async #sendMessage(message) {
    message.status = 'unSend';
    let data;
    try {
      data = await this.#request('sendMessage', {
        to: message.to,
        conversationType: message.conversationType,
        type: message.type,
        payload: message.payload,
        random: message.random,
        clientTime: message.clientTime,
        clientSequence: message.clientSequence,
        priority: message.priority,
        cloudCustomData: message.cloudCustomData,
      });
    } catch (error) {
      message.status = 'fail';
      throw new IMError(error.code, error.message, {message});
    }
    Object.assign(message, data.message, {status: 'success', flow: 'out'});
    this.#noteMessages([message]);
    return {code: 0, data: {message}};
  }

  #receivedMessage(fields) {
    const message = new Message(fields);
    // The flow is the viewer's: this account's own messages from its other devices are 'out'.
    message.flow = message.from === this.#session.userID ? 'out' : 'in';
    return message;
  }

  // --- internals: conversations ---

  #noteMessages(messages) {
    for (const message of messages) {
      let conversation = this.#conversations.get(message.conversationID);
      if (!conversation) {
        conversation = this.#newConversation(message);
        this.#conversations.set(message.conversationID, conversation);
      }
      if (isAfter(message, conversation.lastMessage)) {
        conversation.lastMessage = lastMessageOf(message);
      }
      if (message.flow === 'in') {
        if (!message.isRead) conversation.unreadCount += 1;
        if (conversation.userProfile) {
          conversation.userProfile.nick = message.nick;
          conversation.userProfile.avatar = message.avatar;
        }
      }
    }
    this.#scheduleListUpdate();
  }

  #newConversation(message) {
    const {conversationID, conversationType: type} = message;
    const peer = conversationID.slice(type.length);
    return {
      conversationID,
      type,
      subType: undefined,
      unreadCount: 0,
      lastMessage: null,
      userProfile: type === TYPES.CONV_C2C ? {userID: peer, nick: '', avatar: ''} : undefined,
      groupProfile: type === TYPES.CONV_GROUP ? {groupID: peer} : undefined,
      groupAtInfoList: [],
      remark: '',
      isPinned: false,
      messageRemindType: '',
      markList: [],
      customData: '',
      conversationGroupList: [],
      peerReadTime: 0,
      toAccount: peer,
    };
  }

  #sortedConversations() {
    return [...this.#conversations.values()].sort(newestFirst);
  }

  #countUnread() {
    let total = 0;
    for (const c of this.#conversations.values()) {
      if (c.type !== TYPES.CONV_SYSTEM) total += c.unreadCount;
    }
    return total;
  }

  /** TIM's throttle: the full list at most once per interval, after the last change. */
  #scheduleListUpdate() {
    if (this.#listTimer) return;
    this.#listTimer = setTimeout(() => {
      this.#listTimer = null;
      this.#emit(EVENT.CONVERSATION_LIST_UPDATED, this.#sortedConversations());
      const total = this.#countUnread();
      if (total !== this.#totalUnread) {
        this.#totalUnread = total;
        this.#emit(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, total);
      }
    }, LIST_THROTTLE_MS);
  }
}

const instances = new Map(); // SDKAppID → its one instance

/**
 * The SDK instance for an app; the same SDKAppID gives the same instance until
 * it is destroyed.
 * @param {{SDKAppID: number|string, proxyServer?: string}} options `proxyServer`
 *   is the WebSocket URL to use instead of ws(s)://<this page's host>/ws/im/
 * @returns {TIMInstance|null} null when SDKAppID is not a number, as TIM does
 */
function create(options) {
  const log = new Logger();
  if (!isPlainObject(options)) throw invalidParam(log, 'options', 'an object');
  const {SDKAppID, proxyServer} = options;
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
  const url = proxyServer ?? defaultServerURL();
  if (!url) throw invalidParam(log, 'proxyServer', 'given outside a browser page');
  const instance = new TIMInstance(appID, url);
  instances.set(appID, instance);
  return instance;
}

const TIM = {create, TYPES, EVENT, VERSION};

export default TIM;
