import {TYPES} from './constants.js';

/**
 * C2C read state and online-only messages.
 *
 * The server keeps one read mark per side of a C2C conversation; a message of ours is
 * `isPeerRead` when the peer's mark covers its sequence. It tells us of a new mark with
 * the MESSAGE_READ_BY_PEER push (`{conversationID, peerReadSequence}`), and every C2C
 * conversation it describes carries `peerReadSequence` too, so a push lost while the
 * socket was down is made up by the next conversation list. `PeerReads` keeps the
 * highest mark seen per conversation and marks the messages held here; the facade
 * announces those as TIM's MESSAGE_READ_BY_PEER (Message[]).
 *
 * An online-only message (`sendMessage(message, {onlineUserOnly: true})`, a typing
 * indicator) is never stored: it has no sequence, counts as nothing unread and is
 * never a conversation's last message. Nothing here knows a socket.
 */

/** Whether server `fields` (or a Message) are an online-only message's. */
export function isOnlineOnly(fields) {
  return fields?.onlineOnlyFlag === true;
}

/** Whether `message` is one of ours the peer can read: sent, stored, in C2C. */
function readable(message) {
  return (
    message.flow === 'out' &&
    message.status === 'success' &&
    message.conversationType === TYPES.CONV_C2C &&
    !isOnlineOnly(message) &&
    message.sequence > 0
  );
}

export class PeerReads {
  #marks = new Map(); // C2C conversationID → the peer's read sequence

  /** The peer's read mark in a conversation (0 when unknown). */
  get(conversationID) {
    return this.#marks.get(conversationID) ?? 0;
  }

  /**
   * The peer has read up to `sequence`.
   * @returns {boolean} whether that is further than known here (a mark never goes back)
   */
  advance(conversationID, sequence) {
    if (!conversationID.startsWith(TYPES.CONV_C2C) || !Number.isInteger(sequence)) return false;
    if (sequence <= this.get(conversationID)) return false;
    this.#marks.set(conversationID, sequence);
    return true;
  }

  /**
   * Mark the messages of ours among `messages` that the known mark covers.
   * @param {Iterable<Message>} messages
   * @returns {Message[]} those that became `isPeerRead` now
   */
  settle(messages) {
    const changed = [];
    for (const message of messages) {
      if (message.isPeerRead || !readable(message)) continue;
      if (message.sequence <= this.get(message.conversationID)) {
        message.isPeerRead = true;
        changed.push(message);
      }
    }
    return changed;
  }

  clear() {
    this.#marks.clear();
  }
}

/**
 * A conversation's read mark from server `fields` (a Conversation), if it has one.
 * @returns {number|null}
 */
export function peerReadSequenceOf(fields) {
  const sequence = fields?.peerReadSequence;
  return fields?.type === TYPES.CONV_C2C && Number.isInteger(sequence) && sequence > 0
    ? sequence
    : null;
}
