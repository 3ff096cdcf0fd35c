import {TYPES} from './constants.js';

/**
 * TIM's Message object and what is derived from one alone. Nothing here knows a
 * session or a socket, so the ordering rules can be tested outside a browser.
 */

const PRIORITY_BY_NUMBER = {
  1: TYPES.MSG_PRIORITY_HIGH,
  2: TYPES.MSG_PRIORITY_NORMAL,
  3: TYPES.MSG_PRIORITY_LOW,
  4: TYPES.MSG_PRIORITY_LOWEST,
};

/** A priority as TIM.TYPES names it (numbers 1-4 accepted, as TIM does), or undefined. */
export function priorityOf(value) {
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

/**
 * A message, with the fields of TIM's Message. Made by the `create*Message`
 * methods or from what the server sends; `sendMessage` only accepts instances.
 */
export class Message {
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

/** A conversation's `lastMessage` made from a Message (TIM's fields). */
export function lastMessageOf(message) {
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
    avatar: message.avatar,
    nameCard: message.nameCard,
    version: message.version,
    isPeerRead: message.isPeerRead,
    revoker: message.revoker,
  };
}

/**
 * Oldest first by the server's numbering. Catch-ups fetch changes in the order they
 * were made (a recall of an old message among new ones); a page wants messages in
 * the order they were sent.
 */
export function bySequence(a, b) {
  return a.sequence - b.sequence;
}
