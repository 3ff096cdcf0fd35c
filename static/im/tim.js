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

const NOT_LOGGED_IN_TEXT = 'not logged in: call login() and wait for SDK_READY';

// What a kick leaves behind: the code later calls reject with, and why. A kicked
// instance stays logged out until the page calls login() again.
const KICKS = {
  [TYPES.KICKED_OUT_MULT_ACCOUNT]: {
    code: ERR.KICKED_OUT,
    text: 'kicked out by a login of this account on another page: log in again',
  },
  [TYPES.KICKED_OUT_MULT_DEVICE]: {
    code: ERR.KICKED_OUT,
    text: 'kicked out by a login of this account on another device: log in again',
  },
  [TYPES.KICKED_OUT_USERSIG_EXPIRED]: {
    code: ERR.USERSIG_EXPIRED,
    text: 'the UserSig expired: log in again with a new one',
  },
  // TIM's native table has no code of its own for an operator's kick; 6014 is
  // "not logged in, or forced offline".
  [TYPES.KICKED_OUT_REST_API]: {
    code: ERR.NOT_LOGGED_IN,
    text: 'signed out by the server (an operator kicked this account): log in again',
  },
};

const REQUEST_TIMEOUT_MS = 15000;
const HEARTBEAT_MS = 30000;
// A heartbeat unanswered this long means a dead connection (protocol.md): reconnect.
const HEARTBEAT_TIMEOUT_MS = 10000;
const MAX_FRAME_BYTES = 65536; // the server's cap (protocol.md)
const LIST_THROTTLE_MS = 200; // TIM waits 1 s; a chat page feels slow with that
// Reconnecting waits twice as long after each failed attempt, from 1 s up to 16 s,
// each wait drawn at random from the upper half of its range: pages that one
// server restart cut off together do not all come back in the same instant.
const RECONNECT_BASE_MS = 1000;
const RECONNECT_MAX_MS = 16000;
const MAX_TIMEOUT_MS = 2 ** 31 - 1; // setTimeout fires at once past this
// The server closes a kicked instance with this code, after its KICKED_OUT push.
const CLOSE_KICKED_OUT = 4001;
// getMessageList's default and largest page, TIM's (and the server's) 15.
const MAX_MESSAGE_PAGE = 15;
// syncMessages' largest page.
const MAX_SYNC_PAGE = 100;
// A conversation's changes can arrive a little out of order (the answer to this
// connection's own send may overtake another member's push); a gap that lasts
// this long is a lost push, and the SDK fetches what it missed.
const GAP_GRACE_MS = 1000;
// deleteConversation's list form: TIM uses the first 100.
const MAX_DELETE_CONVERSATIONS = 100;

const PRIORITY_BY_NUMBER = {
  1: TYPES.MSG_PRIORITY_HIGH,
  2: TYPES.MSG_PRIORITY_NORMAL,
  3: TYPES.MSG_PRIORITY_LOW,
  4: TYPES.MSG_PRIORITY_LOWEST,
};

/** A random name for one login() (crypto.getRandomValues works on plain http too). */
function newInstanceID() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** How long to wait before reconnect attempt `attempt` (0 for the first), in ms. */
function reconnectDelay(attempt) {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Whether a failed login on reconnecting means the session is over. The sig or the
 * app being refused will not change by trying again; anything else (the network,
 * a server still starting, an internal error) might, so the SDK keeps trying.
 */
function endsSession(code) {
  return code === 60016 || (code >= 70000 && code < 70500);
}

/** A priority as TIM.TYPES names it (numbers 1-4 accepted, as TIM does), or undefined. */
function priorityOf(value) {
  if (Object.values(PRIORITY_BY_NUMBER).includes(value)) return value;
  return Object.hasOwn(PRIORITY_BY_NUMBER, value) ? PRIORITY_BY_NUMBER[value] : undefined;
}

// What a conversation shows as its last message when that is not text. These are
// the labels the server puts in its conversation list (TIM's own), so an entry
// reads the same whether the server sent it or a push updated it here.
const LABELS = {
  [TYPES.MSG_IMAGE]: '[图片]',
  [TYPES.MSG_AUDIO]: '[语音]',
  [TYPES.MSG_VIDEO]: '[视频]',
  [TYPES.MSG_FILE]: '[文件]',
  [TYPES.MSG_FACE]: '[动画表情]',
  [TYPES.MSG_LOCATION]: '[位置]',
  [TYPES.MSG_CUSTOM]: '[自定义消息]',
  [TYPES.MSG_MERGER]: '[聊天记录]',
  [TYPES.MSG_GRP_TIP]: '[群提示消息]',
  [TYPES.MSG_GRP_SYS_NOTICE]: '[群系统通知]',
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
 * A message, with the fields of TIM's Message. Made by the `create*Message`
 * methods or from what the server sends; `sendMessage` only accepts instances.
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

/** A conversation's `lastMessage` made from a Message (TIM's fields). */
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

/**
 * A Conversation with every field TIM's has, filled from `fields` (the server's
 * object, or just `{conversationID, type}` for one a push revealed).
 */
function makeConversation(fields) {
  const {conversationID, type} = fields;
  const peer = type === TYPES.CONV_SYSTEM ? '' : conversationID.slice(type.length);
  const conversation = {
    conversationID,
    type,
    subType: undefined,
    unreadCount: 0,
    lastMessage: null,
    userProfile: type === TYPES.CONV_C2C ? {userID: peer, nick: '', avatar: ''} : undefined,
    groupProfile:
      type === TYPES.CONV_GROUP ? {groupID: peer, name: '', type: '', avatar: ''} : undefined,
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
  // The server sends null for what does not apply (a C2C conversation's groupProfile);
  // TIM leaves those undefined, so nulls do not overwrite the defaults.
  for (const [key, value] of Object.entries(fields)) {
    if (value !== null && value !== undefined) conversation[key] = value;
  }
  if (conversation.lastMessage) {
    conversation.lastMessage = {
      onlineOnlyFlag: false,
      nameCard: '',
      version: 0,
      isPeerRead: false,
      ...conversation.lastMessage,
    };
  }
  conversation.subType = conversation.groupProfile?.type || undefined;
  return conversation;
}

/** A Group with TIM's fields; the server's values win, TIM leaves unset ones "". */
function makeGroup(fields) {
  return {
    groupID: '',
    name: '',
    avatar: '',
    type: '',
    introduction: '',
    notification: '',
    ownerID: '',
    createTime: 0,
    infoSequence: 0,
    lastInfoTime: 0,
    selfInfo: {},
    lastMessage: {lastTime: 0, lastSequence: 0, fromAccount: '', messageForShow: ''},
    nextMessageSeq: 0,
    memberCount: 0,
    maxMemberCount: fields.maxMemberNum ?? 0,
    joinOption: '',
    inviteOption: '',
    groupCustomField: [],
    muteAllMembers: false,
    isSupportTopic: false,
    ...fields,
  };
}

/** TIM's conversation-list order; `rank` breaks ties of messages sent in the same second. */
function newestFirst(rank) {
  return (a, b) =>
    (b.lastMessage?.lastTime ?? 0) - (a.lastMessage?.lastTime ?? 0) ||
    (rank.get(b.conversationID) ?? 0) - (rank.get(a.conversationID) ?? 0);
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
  #instanceID = '';
  #reconnectAttempt = 0;

  // {userID, userSig, tinyID, nick, avatar} from a successful login until logout or a kick;
  // kept while the socket reconnects, so the SDK can log in again by itself.
  #session = null;
  #loginPromise = null;
  #ready = false;
  #readying = false; // the first conversation sync after login is running
  #notReadyCode = ERR.NOT_LOGGED_IN;
  #notReadyText = NOT_LOGGED_IN_TEXT;
  #sigTimer = null;
  #clientSequence = 0;

  #conversations = new Map(); // conversationID → Conversation
  // conversationID → a number that grows each time the conversation gets a newer last
  // message here: orders conversations whose last messages carry the same second.
  #ranks = new Map();
  #nextRank = 1;
  #syncing = null; // the conversation-list fetch in flight
  // conversationID → {stamp, answered} of the last setMessageRead, to tell whether a
  // server snapshot of the conversation was taken before that read or after it.
  #reads = new Map();
  #stamp = 0; // orders this instance's requests
  #listTimer = null;
  #totalUnread = 0;

  // conversationID → Map(message ID → Message): every message handed out, so a later
  // copy (a recall, a history page) updates the object a page already holds.
  #messages = new Map();

  // conversationID → {seen, ahead}: the server numbers each conversation's changes (a
  // new message, a recall) 1, 2, 3... `seen` ends the unbroken run applied here;
  // `ahead` holds later ones that came early. What the run misses is fetched with
  // syncMessages: after a reconnect, or when a push was lost.
  #changes = new Map();
  #catchingUp = new Map(); // conversationID → the syncMessages run in flight
  #gapTimers = new Map(); // conversationID → the timer of a gap check

  // Messages sent while the connection is down (or still catching up), oldest first:
  // [{message, resolve, reject}]. They go out in this order once it is back.
  #outbox = [];
  #flushing = false;

  #groups = new Map(); // groupID → Group, the groups this account is in
  #groupsFetch = null; // the group-list fetch in flight
  #groupTimer = null;
  #announcedGroups = null; // the JSON of the last GROUP_LIST_UPDATED, to skip repeats

  // The browser saying the network is back, or the page being looked at again
  // (a laptop waking up): a reason to check the connection now rather than wait.
  #onWake = () => this.#probe();
  #onVisible = () => {
    if (document.visibilityState === 'visible') this.#probe();
  };

  constructor(appID, url) {
    this.#appID = appID;
    this.#url = url;
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
    clearTimeout(this.#groupTimer);
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

  // --- sending and recalling ---

  /**
   * Send a message made by a `create*Message` method (C2C or GROUP). On success
   * the server's fields (status 'success', time, sequence) are merged into the same
   * object. TIM's second argument (push and control options) is accepted and ignored.
   *
   * While the connection is down (or catching up after a reconnect) the message
   * waits in an outbox with status 'unSend', and goes out once it is back, after
   * the messages sent before it. It fails (6010) only if the session ends first:
   * logout, a kick, destroy.
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
   * The cached message with this ID, or null (synchronous, as TIM's).
   * @param {string} messageID
   * @returns {Message|null}
   */
  findMessage(messageID) {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    if (typeof messageID !== 'string') throw invalidParam(this.#log, 'messageID', 'a string');
    for (const byID of this.#messages.values()) {
      if (byID.has(messageID)) return byID.get(messageID);
    }
    return null;
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
   * conversations), newest first. The SDK keeps it up to date from then on and
   * announces it with `CONVERSATION_LIST_UPDATED`.
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
      let list = this.#sortedConversations();
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
   * The sum of the unread counts (synchronous, as TIM's).
   * @returns {number}
   */
  getTotalUnreadMessageCount() {
    const refusal = this.#notReady();
    if (refusal) return this.#refuse(refusal);
    return this.#countUnread();
  }

  // --- groups ---

  /**
   * Create a group; the caller becomes its owner. The group's conversation joins
   * the list with its first message.
   * @param {{name: string, type?: string, groupID?: string,
   *   memberList?: {userID: string, role?: string}[], introduction?: string,
   *   notification?: string, avatar?: string, joinOption?: string,
   *   maxMemberNum?: number}} options `type` defaults to TIM.TYPES.GRP_WORK
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
      (m.role === undefined || typeof m.role === 'string');
    if (!Array.isArray(memberList) || !memberList.every(validMember)) {
      throw invalidParam(this.#log, 'memberList', 'an array of {userID, role?}');
    }
    const data = {
      name,
      type,
      memberList: memberList.map(({userID, role}) =>
        role === undefined ? {userID} : {userID, role},
      ),
    };
    for (const key of ['groupID', 'introduction', 'notification', 'avatar', 'joinOption']) {
      if (options[key] === undefined) continue;
      if (typeof options[key] !== 'string') throw invalidParam(this.#log, key, 'a string');
      data[key] = options[key];
    }
    if (options.maxMemberNum !== undefined) {
      if (!Number.isInteger(options.maxMemberNum) || options.maxMemberNum < 0) {
        throw invalidParam(this.#log, 'maxMemberNum', 'a non-negative integer');
      }
      data.maxMemberNum = options.maxMemberNum;
    }
    return this.#request('createGroup', data).then((result) => {
      const group = makeGroup(result.group ?? {});
      if (this.#session && group.groupID) this.#putGroup(group);
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
      data: {groupList: [...this.#groups.values()]},
    }));
  }

  /**
   * One group's profile from the server. A group this account is in is updated in
   * the group list too.
   * @param {{groupID: string}} options
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
    return this.#request('getGroupProfile', {groupID}).then((data) => {
      const group = makeGroup(data.group ?? {});
      if (this.#session && this.#groups.has(groupID)) this.#putGroup(group);
      return {code: 0, data: {group}};
    });
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
    return new IMError(this.#notReadyCode, this.#notReadyText);
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
        // Still 'connecting': the state turns 'connected' once the socket is logged in,
        // the first moment requests can succeed on it.
        if (this.#socket !== socket) return;
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
    if (!this.#session) return;
    // Kicked, and the KICKED_OUT push went missing: reconnecting would kick the
    // newer instance in turn.
    if (event.code === CLOSE_KICKED_OUT) this.#kick(TYPES.KICKED_OUT_MULT_ACCOUNT);
    else this.#scheduleReconnect();
  }

  /**
   * Give up on a socket that stopped answering (or cannot be trusted): treat it as
   * closed now and reconnect, without waiting for its close handshake, which a dead
   * network never completes.
   */
  #dropSocket(socket) {
    if (this.#socket !== socket) return;
    socket.close(4000);
    this.#onSocketClosed(socket, {code: 4000});
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
    this.#request('heartbeat', undefined, HEARTBEAT_TIMEOUT_MS).catch(() => {
      if (socket) this.#dropSocket(socket);
    });
  }

  #scheduleReconnect() {
    const delay = reconnectDelay(this.#reconnectAttempt);
    this.#reconnectAttempt += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#reconnect(), delay);
  }

  /**
   * Check the connection now (the network is back, the page is looked at again):
   * a socket that seems open is asked for a heartbeat, which closes it if the
   * answer does not come; a reconnect waiting out its backoff is tried at once.
   */
  #probe() {
    if (!this.#session || this.#destroyed) return;
    if (this.#socket?.readyState === WebSocket.OPEN) {
      if (this.#netState === TYPES.NET_STATE_CONNECTED) this.#heartbeat();
    } else if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectAttempt = 0;
      this.#reconnect();
    }
  }

  /**
   * Log in again on a new socket, then fetch everything missed while the socket
   * was down (conversation list and read state, messages and recalls, groups), and
   * only then report 'connected' and send what waits in the outbox.
   */
  async #reconnect() {
    this.#reconnectTimer = null;
    const session = this.#session;
    if (!session || this.#destroyed) return;
    try {
      await this.#ensureOpen();
      await this.#request('login', this.#loginData(session.userID, session.userSig));
    } catch (error) {
      if (this.#session !== session) return; // logged out or kicked meanwhile
      if (error.code === 70001) {
        this.#kick(TYPES.KICKED_OUT_USERSIG_EXPIRED);
      } else if (error.code === ERR.KICKED_OUT) {
        // Kicked while away; the KICKED_OUT push with the reason normally came first.
        this.#kick(TYPES.KICKED_OUT_MULT_ACCOUNT);
      } else if (endsSession(error.code)) {
        this.#emit(EVENT.ERROR, {code: error.code, message: error.message});
        this.#endSession(ERR.NOT_LOGGED_IN);
        this.#closeSocket();
      } else if (this.#socket) {
        this.#dropSocket(this.#socket); // which schedules the next attempt
      } else if (!this.#reconnectTimer) {
        this.#scheduleReconnect();
      }
      return;
    }
    this.#log.info('reconnected; catching up');
    const socket = this.#socket;
    const current = () => this.#session === session && this.#socket === socket && socket;
    // A list fetch started before the drop answers for the old socket's moment.
    await this.#syncing?.catch(() => {});
    try {
      await Promise.all([this.#syncConversations({catchUpNew: true}), this.#refreshGroups()]);
    } catch (error) {
      this.#log.warn('could not catch up after reconnecting', error);
      // Reporting 'connected' now would claim a catch-up that did not happen; a
      // fresh connection tries again.
      if (current()) this.#dropSocket(socket);
      return;
    }
    if (!current()) return;
    this.#reconnectAttempt = 0;
    this.#setNetState(TYPES.NET_STATE_CONNECTED);
    this.#flushOutbox();
  }

  // --- internals: requests and frames ---

  #request(op, data, timeout = REQUEST_TIMEOUT_MS) {
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
        reject(new IMError(ERR.REQUEST_FAILED, `no answer to ${op} within ${timeout / 1000} s`));
      }, timeout);
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
      case 'GROUP_JOINED':
        if (this.#session) this.#onAccountPush(event, data);
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
      for (const fields of data.filter(isPlainObject)) {
        const known = this.#isCached(fields);
        const message = this.#adopt(fields);
        messages.push(message);
        if (!known) fresh.push(message);
        this.#noteChange(message.conversationID, message.changeSequence);
      }
      if (event === 'MESSAGE_RECEIVED') {
        this.#noteMessages(messages);
        if (fresh.length) this.#emit(EVENT.MESSAGE_RECEIVED, fresh);
      } else {
        this.#noteRevoked(messages);
        this.#emit(EVENT.MESSAGE_REVOKED, messages);
      }
    } else if (event === 'CONVERSATION_UPDATED') {
      // Another connection of this account read it (Hutong's own push).
      if (!isPlainObject(data) || typeof data.conversationID !== 'string') return;
      const local = this.#conversations.get(data.conversationID);
      const read = this.#reads.get(data.conversationID);
      // A read of ours still on its way to the server will leave the count at zero,
      // whatever the other connection saw.
      const keepCount = Boolean(read && !read.answered);
      const conversation = this.#mergeServerConversation(data, local, {keepCount});
      this.#putConversation(conversation, !local);
    } else if (event === 'CONVERSATION_DELETED') {
      if (typeof data?.conversationID === 'string') this.#forgetConversation(data.conversationID);
    } else if (event === 'GROUP_JOINED') {
      // Hutong's own: this connection hears the group's messages from now on. One
      // sent in the moment before (a member writing right after createGroup) never
      // reached it, and nothing else would reveal it: fetch what the group holds.
      if (typeof data?.groupID !== 'string') return;
      const group = makeGroup(data);
      delete group.changeSequence; // the push's, not the group's
      this.#putGroup(group);
      const id = `${TYPES.CONV_GROUP}${data.groupID}`;
      if (this.#changes.has(id)) return;
      this.#changes.set(id, {seen: 0, ahead: new Set()});
      this.#catchUp(id).catch((error) => this.#log.warn(`could not catch up on ${id}`, error));
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
    this.#notReadyText = NOT_LOGGED_IN_TEXT;
    this.#reconnectAttempt = 0;
    this.#setNetState(TYPES.NET_STATE_CONNECTED);
    if (Number.isFinite(data.userSigExpireTime) && Number.isFinite(data.serverTime)) {
      // Server clock minus server clock: right even when the browser's clock is off.
      this.#armSigTimer(Date.now() + (data.userSigExpireTime - data.serverTime) * 1000);
    }
    this.#log.info(`logged in as ${userID}`);
    return {code: 0, data};
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
      this.#flushListUpdate();
      this.#flushGroupUpdate();
    });
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

  /**
   * Kicked (pushed, or told by close code 4001, or the sig ran out): log out for
   * good. Nothing here reconnects afterwards; only the page's next login() does,
   * since coming back by itself would kick out the newer instance in turn.
   */
  #kick(type) {
    if (!this.#session) return;
    const {code, text} = KICKS[type] ?? KICKS[TYPES.KICKED_OUT_MULT_ACCOUNT];
    this.#log.warn(`kicked out: ${type}`);
    this.#endSession(code, type, text);
    this.#closeSocket();
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
    clearTimeout(this.#sigTimer);
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#listTimer);
    this.#sigTimer = this.#reconnectTimer = this.#listTimer = null;
    this.#reconnectAttempt = 0;
    this.#conversations.clear();
    this.#ranks.clear();
    this.#reads.clear();
    this.#messages.clear();
    this.#changes.clear();
    for (const timer of this.#gapTimers.values()) clearTimeout(timer);
    this.#gapTimers.clear();
    this.#totalUnread = 0;
    clearTimeout(this.#groupTimer);
    this.#groupTimer = null;
    this.#groups.clear();
    this.#announcedGroups = null;
    // TIM's rule for a message that could not go out: it fails. Only a session that
    // ends fails the outbox; a connection that drops only delays it.
    for (const {message, reject} of this.#outbox.splice(0)) {
      message.status = 'fail';
      const text = 'the session ended before the message could be sent';
      reject(new IMError(ERR.REQUEST_FAILED, text, {message}));
    }
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
    if (this.#outbox.length || !this.#isConnected()) {
      // Known by its ID from now on: should an earlier attempt have reached the server
      // after all, the catch-up updates this object instead of announcing a copy.
      if (this.#session) this.#remember(message);
      return new Promise((resolve, reject) => this.#outbox.push({message, resolve, reject}));
    }
    return this.#transmit(message).then(
      () => ({code: 0, data: {message}}),
      (error) => {
        message.status = 'fail';
        throw new IMError(error.code, error.message, {message});
      },
    );
  }

  /** One sendMessage request; the answer's fields go into `message`. */
  async #transmit(message) {
    // random and clientTime are the message's own, kept from creation: a resend of
    // one the server already stored is recognised by them.
    const data = await this.#request('sendMessage', {
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
    Object.assign(message, data.message, {status: 'success', flow: 'out', isRead: true});
    if (this.#session) {
      this.#remember(message);
      this.#noteChange(message.conversationID, message.changeSequence);
      this.#noteMessages([message]);
    }
  }

  /** Whether a request can go out now: logged in on an open socket, and caught up. */
  #isConnected() {
    return (
      Boolean(this.#session) &&
      this.#netState === TYPES.NET_STATE_CONNECTED &&
      this.#socket?.readyState === WebSocket.OPEN
    );
  }

  /**
   * Send what waits in the outbox, oldest first and one at a time, so the server
   * numbers them in the order they were written.
   */
  async #flushOutbox() {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#outbox.length && this.#isConnected()) {
        const entry = this.#outbox[0];
        const socket = this.#socket;
        try {
          await this.#transmit(entry.message);
        } catch (error) {
          if (error.code === ERR.REQUEST_FAILED && this.#session) {
            // The connection failed under it: it stays first in line and goes again
            // after the reconnect; if this attempt did reach the server, its random
            // and clientTime make the server answer with the stored copy. No answer
            // on an open socket means a dead one: close it to reconnect now.
            if (socket) this.#dropSocket(socket);
            break;
          }
          if (this.#outbox[0] === entry) this.#outbox.shift();
          entry.message.status = 'fail';
          entry.reject(new IMError(error.code, error.message, {message: entry.message}));
          continue;
        }
        if (this.#outbox[0] === entry) this.#outbox.shift();
        entry.resolve({code: 0, data: {message: entry.message}});
      }
    } finally {
      this.#flushing = false;
    }
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
      this.#remember(message);
      this.#noteChange(message.conversationID, message.changeSequence);
      this.#noteRevoked([message]);
    }
    return {code: 0, data: {message}};
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
    const read = {stamp: ++this.#stamp, answered: false};
    this.#reads.set(conversationID, read);
    const conversation = this.#conversations.get(conversationID);
    if (conversation?.unreadCount) {
      conversation.unreadCount = 0;
      this.#scheduleListUpdate();
    }
    for (const message of this.#messages.get(conversationID)?.values() ?? []) message.isRead = true;
    try {
      await this.#request('setMessageRead', {conversationID});
    } finally {
      read.answered = true;
    }
    return {code: 0, data: {}};
  }

  // --- internals: the message cache ---

  /** Make `message` the object handed out for its ID from now on. */
  #remember(message) {
    let byID = this.#messages.get(message.conversationID);
    if (!byID) {
      byID = new Map();
      this.#messages.set(message.conversationID, byID);
    }
    byID.set(message.ID, message);
    return message;
  }

  #isCached(fields) {
    return Boolean(this.#messages.get(fields.conversationID)?.has(fields.ID));
  }

  /**
   * The Message for server `fields`: the one already handed out for that ID,
   * updated, or a new one. Flow is the viewer's: this account's own messages from
   * its other connections are 'out'.
   */
  #adopt(fields) {
    const mine = fields.from === this.#session?.userID;
    const known = this.#messages.get(fields.conversationID)?.get(fields.ID);
    const message = known ?? this.#remember(new Message(fields));
    Object.assign(message, fields, {
      flow: mine ? 'out' : 'in',
      isRead: mine || message.isRead || Boolean(fields.isRead),
    });
    return message;
  }

  /** How many messages from others this instance holds in a conversation after `sequence`. */
  #incomingAfter(conversationID, sequence) {
    let count = 0;
    for (const message of this.#messages.get(conversationID)?.values() ?? []) {
      if (message.flow === 'in' && message.status === 'success' && message.sequence > sequence) {
        count += 1;
      }
    }
    return count;
  }

  // --- internals: conversations ---

  /** New messages (pushed, or sent from here): last message, unread count, order. */
  #noteMessages(messages) {
    for (const message of messages) {
      const id = message.conversationID;
      let conversation = this.#conversations.get(id);
      if (!conversation) {
        conversation = makeConversation({conversationID: id, type: message.conversationType});
        this.#conversations.set(id, conversation);
        // A push says little about its conversation: not the group's name, nor how
        // many older messages are unread. The server's profile does.
        this.#fetchConversation(id).catch((error) =>
          this.#log.warn(`could not fetch conversation ${id}`, error),
        );
      }
      // Each conversation numbers its messages and delivers them in order: one at or
      // below the last known sequence is already counted (by the server's list, which
      // may have been taken just after it was stored, or by an earlier push).
      if (conversation.lastMessage && message.sequence <= conversation.lastMessage.lastSequence) {
        continue;
      }
      conversation.lastMessage = lastMessageOf(message);
      this.#ranks.set(id, this.#nextRank++);
      if (message.flow === 'in') {
        conversation.unreadCount += 1;
        if (conversation.userProfile) {
          const {nick, avatar} = message;
          conversation.userProfile = {...conversation.userProfile, nick, avatar};
        }
      }
    }
    this.#scheduleListUpdate();
  }

  /** Recalled messages: a conversation whose last message it was shows the recall. */
  #noteRevoked(messages) {
    let changed = false;
    for (const message of messages) {
      const conversation = this.#conversations.get(message.conversationID);
      const last = conversation?.lastMessage;
      if (last && last.lastSequence === message.sequence && last.fromAccount === message.from) {
        conversation.lastMessage = {...last, isRevoked: true, revoker: message.revoker};
        changed = true;
      }
    }
    if (changed) this.#scheduleListUpdate();
  }

  /**
   * Whether this instance asked to read a conversation after asking for a snapshot
   * of it at `stamp`: requests on one socket are handled in order, so that read
   * reached the server after the snapshot was taken, and the snapshot's count is stale.
   */
  #readAfter(id, stamp) {
    const read = this.#reads.get(id);
    return Boolean(read && read.stamp > stamp);
  }

  /**
   * A server snapshot of a conversation (list, profile or push), reconciled with
   * what this instance saw since the snapshot was taken.
   * @param {Object} fields the server's Conversation
   * @param {Object|undefined} local this instance's version
   * @param {{keepCount?: boolean}} [options] keep the local unread count (a read
   *   of ours the snapshot does not reflect)
   */
  #mergeServerConversation(fields, local, {keepCount = false} = {}) {
    const conversation = makeConversation(fields);
    if (!local) return conversation;
    const serverSequence = conversation.lastMessage?.lastSequence ?? 0;
    if ((local.lastMessage?.lastSequence ?? 0) > serverSequence) {
      // Messages that reached this instance after the snapshot: count them on top.
      conversation.lastMessage = local.lastMessage;
      conversation.unreadCount += this.#incomingAfter(conversation.conversationID, serverSequence);
    }
    if (keepCount) conversation.unreadCount = local.unreadCount;
    return conversation;
  }

  /** Put a conversation in the list (or replace it) and schedule the announcement. */
  #putConversation(conversation, isNew) {
    const id = conversation.conversationID;
    // An empty conversation has no place in TIM's list; it joins with its first message.
    if (isNew && !conversation.lastMessage) return;
    this.#conversations.set(id, conversation);
    if (isNew) this.#ranks.set(id, this.#nextRank++);
    this.#scheduleListUpdate();
  }

  #forgetConversation(id) {
    if (!this.#conversations.delete(id)) return;
    this.#ranks.delete(id);
    this.#scheduleListUpdate();
  }

  /** The server's version of one conversation; merged into the list if it is there. */
  async #fetchConversation(id) {
    const stamp = ++this.#stamp;
    const data = await this.#request('getConversationProfile', {conversationID: id});
    const local = this.#conversations.get(id);
    const keepCount = this.#readAfter(id, stamp);
    const conversation = this.#mergeServerConversation(data.conversation, local, {keepCount});
    // Only conversations already listed are updated: the server has a profile for a
    // deleted conversation too, and fetching it must not bring it back.
    if (local && this.#session) this.#putConversation(conversation, false);
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
      const stamp = ++this.#stamp;
      const data = await this.#request('getConversationList');
      if (this.#session !== session) return;
      const valid = (c) =>
        isPlainObject(c) && typeof c.conversationID === 'string' && typeof c.type === 'string';
      const list = Array.isArray(data.conversationList) ? data.conversationList.filter(valid) : [];
      const before = this.#conversations;
      const conversations = new Map();
      const ranks = new Map();
      const behind = [];
      list.forEach((fields, index) => {
        const id = fields.conversationID;
        const keepCount = this.#readAfter(id, stamp);
        conversations.set(id, this.#mergeServerConversation(fields, before.get(id), {keepCount}));
        ranks.set(id, list.length - index); // the server's order, below anything newer
        const change = fields.changeSequence;
        const followed = this.#changes.get(id);
        if (!Number.isInteger(change)) return;
        if (!followed && catchUpNew) {
          this.#changes.set(id, {seen: Math.max(0, change - MAX_SYNC_PAGE), ahead: new Set()});
          if (change > 0) behind.push(id);
        } else if (!followed) {
          // Nothing of it is held here: its history is getMessageList's business.
          this.#changes.set(id, {seen: change, ahead: new Set()});
        } else if (change > followed.seen) {
          behind.push(id);
        }
      });
      this.#conversations = conversations;
      this.#ranks = ranks;
      this.#nextRank = list.length + 1;
      // The list's counts already include what the catch-up brings: no refresh.
      await Promise.all(
        behind.map((id) =>
          this.#catchUp(id, {refresh: false}).catch((error) =>
            this.#log.warn(`could not catch up on ${id}`, error),
          ),
        ),
      );
      if (announce) this.#flushListUpdate();
    };
    this.#syncing = run().finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  /**
   * Record that a conversation's change number `change` has been applied. A gap
   * before it that does not close soon is a lost push: fetch what is missing.
   */
  #noteChange(id, change) {
    if (!Number.isInteger(change) || change <= 0) return;
    const followed = this.#changes.get(id);
    if (!followed) {
      this.#changes.set(id, {seen: change, ahead: new Set()});
      return;
    }
    if (change <= followed.seen) return;
    followed.ahead.add(change);
    this.#closeRun(followed);
    if (followed.ahead.size && !this.#gapTimers.has(id)) {
      const timer = setTimeout(() => {
        this.#gapTimers.delete(id);
        if (this.#changes.get(id)?.ahead.size) {
          this.#catchUp(id).catch((error) => this.#log.warn(`could not catch up on ${id}`, error));
        }
      }, GAP_GRACE_MS);
      this.#gapTimers.set(id, timer);
    }
  }

  #closeRun(followed) {
    for (const change of followed.ahead) if (change <= followed.seen) followed.ahead.delete(change);
    while (followed.ahead.delete(followed.seen + 1)) followed.seen += 1;
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
      let from = this.#changes.get(id)?.seen ?? 0;
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
          const known = this.#messages.get(fields.conversationID)?.get(fields.ID);
          const wasRevoked = known?.isRevoked;
          const message = this.#adopt(fields);
          if (!known) received.push(message);
          else if (message.isRevoked && !wasRevoked) revoked.push(message);
        }
        if (Number.isInteger(data.changeSequence)) from = Math.max(from, data.changeSequence);
        if (data.isCompleted || !list.length) break;
      }
      const followed = this.#changes.get(id) ?? {seen: 0, ahead: new Set()};
      followed.seen = Math.max(followed.seen, from);
      this.#closeRun(followed);
      this.#changes.set(id, followed);
      // Changes come in the order they were made; a page wants messages in theirs.
      received.sort((a, b) => a.sequence - b.sequence);
      // A conversation new here fetches its profile (and count) as it is noted.
      const listed = this.#conversations.has(id);
      if (received.length) {
        this.#noteMessages(received);
        this.#emit(EVENT.MESSAGE_RECEIVED, received);
      }
      if (revoked.length) {
        this.#noteRevoked(revoked);
        this.#emit(EVENT.MESSAGE_REVOKED, revoked);
      }
      if (refresh && received.length && listed) await this.#fetchConversation(id);
    };
    const promise = run().finally(() => this.#catchingUp.delete(id));
    this.#catchingUp.set(id, promise);
    return promise;
  }

  // --- internals: groups ---

  /** Replace the group list with the server's. Shared by callers that overlap. */
  #refreshGroups({announce = true} = {}) {
    if (this.#groupsFetch) return this.#groupsFetch;
    const session = this.#session;
    const run = async () => {
      const data = await this.#request('getGroupList');
      if (this.#session !== session) return;
      const list = Array.isArray(data.groupList) ? data.groupList : [];
      this.#groups = new Map(
        list
          .filter((g) => isPlainObject(g) && typeof g.groupID === 'string')
          .map((g) => [g.groupID, makeGroup(g)]),
      );
      // At once, not throttled: a reconnect reports 'connected' only after this.
      if (announce) this.#flushGroupUpdate();
    };
    this.#groupsFetch = run().finally(() => {
      this.#groupsFetch = null;
    });
    return this.#groupsFetch;
  }

  #putGroup(group) {
    this.#groups.set(group.groupID, group);
    this.#scheduleGroupUpdate();
  }

  /** The same throttle as the conversation list's. */
  #scheduleGroupUpdate() {
    if (this.#groupTimer) return;
    this.#groupTimer = setTimeout(() => this.#flushGroupUpdate(), LIST_THROTTLE_MS);
  }

  /** Announce the group list, unless it is what the last announcement said. */
  #flushGroupUpdate() {
    clearTimeout(this.#groupTimer);
    this.#groupTimer = null;
    if (!this.#ready) return; // SDK_READY comes first; it announces the list itself
    const list = [...this.#groups.values()];
    const json = JSON.stringify(list);
    if (json === this.#announcedGroups) return;
    this.#announcedGroups = json;
    this.#emit(EVENT.GROUP_LIST_UPDATED, list);
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
      this.#forgetConversation(id);
    }
    if (!deleted.length) throw firstError;
    return deleted;
  }

  #sortedConversations() {
    return [...this.#conversations.values()].sort(newestFirst(this.#ranks));
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
    this.#listTimer = setTimeout(() => this.#flushListUpdate(), LIST_THROTTLE_MS);
  }

  /** Announce the list (and the total, when it changed) now. */
  #flushListUpdate() {
    clearTimeout(this.#listTimer);
    this.#listTimer = null;
    if (!this.#ready) return; // SDK_READY announces the first list itself
    this.#emit(EVENT.CONVERSATION_LIST_UPDATED, this.#sortedConversations());
    const total = this.#countUnread();
    if (total !== this.#totalUnread) {
      this.#totalUnread = total;
      this.#emit(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, total);
    }
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
