import {TYPES} from './constants.js';
import {ERROR, IMError} from './errors.js';
import {Message} from './message.js';

/**
 * What one does to a message one sees: delete it for oneself (TIM's deleteMessage),
 * forward it (createForwardMessage), reply quoting it (TUIKit's `messageReply` in
 * cloudCustomData). Pure rules, no session or socket, so they are tested alone.
 */

// TIM's deleteMessage uses the first 30 messages of a list.
export const MAX_DELETE = 30;

// Hutong's own event (TIM has none): messages this account deleted on another
// connection; the page drops them. Data: the Messages, each `isDeleted: true`.
export const HUTONG_EVENT = Object.freeze({MESSAGE_DELETED: 'onMessageDeleted'});

// The native SDKs' element numbers (V2TIMElemType), which TUIKit writes as
// messageReply.messageType so a reply reads the same on every platform.
const ELEM_TYPE = {
  [TYPES.MSG_TEXT]: 1,
  [TYPES.MSG_CUSTOM]: 2,
  [TYPES.MSG_IMAGE]: 3,
  [TYPES.MSG_AUDIO]: 4,
  [TYPES.MSG_VIDEO]: 5,
  [TYPES.MSG_FILE]: 6,
  [TYPES.MSG_LOCATION]: 7,
  [TYPES.MSG_FACE]: 8,
  [TYPES.MSG_GRP_TIP]: 9,
  [TYPES.MSG_MERGER]: 10,
};

const NOT_FORWARDED = new Set([TYPES.MSG_GRP_TIP, TYPES.MSG_GRP_SYS_NOTICE]);
const ABSTRACT_LENGTH = 100;

/**
 * The messages deleteMessage acts on: a non-empty array of Messages of one
 * conversation, the first 30 of it. System notices are refused (2116).
 * @returns {{conversationID: string, messages: Message[]}}
 * @throws {IMError}
 */
export function deleteBatch(messageList) {
  if (!Array.isArray(messageList) || !messageList.length) {
    throw new IMError(ERROR.INVALID_PARAMS, 'messageList must be a non-empty array of Messages');
  }
  const messages = messageList.slice(0, MAX_DELETE);
  if (!messages.every((message) => message instanceof Message)) {
    throw new IMError(ERROR.INVALID_PARAMS, 'messageList must hold Messages');
  }
  const {conversationID} = messages[0];
  if (messages.some((message) => message.conversationID !== conversationID)) {
    throw new IMError(ERROR.INVALID_PARAMS, 'the messages must be of one conversation');
  }
  if (conversationID === TYPES.CONV_SYSTEM || messages.some((m) => m.type === TYPES.MSG_GRP_SYS_NOTICE)) {
    throw new IMError(ERROR.MESSAGE_DELETE_REFUSED, 'system notices cannot be deleted');
  }
  return {conversationID, messages};
}

/**
 * The message createForwardMessage copies: a sent Message that is not a group tip
 * or notice (2453) and not recalled.
 * @throws {IMError}
 */
export function forwardSource(payload) {
  if (!(payload instanceof Message)) {
    throw new IMError(ERROR.INVALID_PARAMS, 'payload must be the Message to forward');
  }
  if (NOT_FORWARDED.has(payload.type)) {
    throw new IMError(ERROR.FORWARD_REFUSED, 'group tips and system notices cannot be forwarded');
  }
  if (payload.status !== 'success' || payload.isRevoked) {
    throw new IMError(ERROR.INVALID_PARAMS, 'only a sent message that is not recalled can be forwarded');
  }
  return payload;
}

/** A forward's content: the original's payload, without what belongs to its sending. */
export function forwardedPayload(source) {
  return structuredClone(source.payload);
}

/**
 * What a quote shows of a message: its text (shortened), or `label` for other kinds.
 * @param {Message} message
 * @param {string} label what the page calls a non-text message ("[Image]")
 */
export function abstractOf(message, label = '') {
  if (message.type !== TYPES.MSG_TEXT) return label;
  const text = String(message.payload?.text ?? '');
  return text.length > ABSTRACT_LENGTH ? `${text.slice(0, ABSTRACT_LENGTH)}…` : text;
}

/**
 * cloudCustomData for a reply quoting `message` (TUIKit's `messageReply`, version 1).
 * @param {Message} message the message replied to
 * @param {{abstract?: string, sender?: string}} [shown] what the quote shows; by
 *   default the text and the sender's nick (or userID)
 */
export function replyData(message, {abstract, sender} = {}) {
  return JSON.stringify({
    messageReply: {
      messageAbstract: abstract ?? abstractOf(message),
      messageSender: sender ?? (message.nameCard || message.nick || message.from),
      messageID: message.ID,
      messageType: ELEM_TYPE[message.type] ?? 0,
      version: 1,
    },
  });
}

/**
 * The quote a message carries, if its cloudCustomData has a well-formed
 * `messageReply`; else null (cloudCustomData is free for apps to use otherwise).
 * @returns {{messageID: string, messageAbstract: string, messageSender: string}|null}
 */
export function quoteOf(message) {
  const data = message?.cloudCustomData;
  if (typeof data !== 'string' || !data.includes('messageReply')) return null;
  let parsed;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  const reply = parsed?.messageReply;
  if (!reply || typeof reply !== 'object') return null;
  const {messageID, messageAbstract, messageSender} = reply;
  if (![messageID, messageAbstract, messageSender].every((v) => typeof v === 'string')) return null;
  return {messageID, messageAbstract, messageSender};
}
