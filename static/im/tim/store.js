import {Message} from './message.js';

/**
 * Every message handed out to the page, by conversation and ID. A later copy of a
 * message (a recall, a history page, a catch-up) updates the object the page
 * already holds instead of making a second one, so `message.isRevoked` and the
 * like stay true on what the page kept.
 */
export class MessageStore {
  #byConversation = new Map(); // conversationID → Map(message ID → Message)

  /** Make `message` the object handed out for its ID from now on. */
  remember(message) {
    let byID = this.#byConversation.get(message.conversationID);
    if (!byID) {
      byID = new Map();
      this.#byConversation.set(message.conversationID, byID);
    }
    byID.set(message.ID, message);
    return message;
  }

  /**
   * Let go of messages deleted for this account: each is marked `isDeleted` and
   * is no longer found, counted or handed out.
   * @returns {Message[]} the ones that were held
   */
  forget(conversationID, messageIDs) {
    const byID = this.#byConversation.get(conversationID);
    const gone = [];
    for (const id of messageIDs) {
      const message = byID?.get(id);
      if (!message) continue;
      byID.delete(id);
      message.isDeleted = true;
      gone.push(message);
    }
    return gone;
  }

  /** The held message for server `fields` (their conversationID and ID), if any. */
  get(fields) {
    return this.#byConversation.get(fields.conversationID)?.get(fields.ID);
  }

  /** The held message with this ID in any conversation (findMessage's lookup), or null. */
  find(messageID) {
    for (const byID of this.#byConversation.values()) {
      if (byID.has(messageID)) return byID.get(messageID);
    }
    return null;
  }

  /**
   * The Message for server `fields`: the one already handed out for that ID,
   * updated, or a new one. Flow is the viewer's: `userID`'s own messages from
   * its other connections are 'out'.
   */
  adopt(fields, userID) {
    const mine = fields.from === userID;
    const message = this.get(fields) ?? this.remember(new Message(fields));
    Object.assign(message, fields, {
      flow: mine ? 'out' : 'in',
      isRead: mine || message.isRead || Boolean(fields.isRead),
      // A copy taken before the peer's read (a page fetched meanwhile) does not undo it.
      isPeerRead: mine && (message.isPeerRead || Boolean(fields.isPeerRead)),
    });
    return message;
  }

  /**
   * How many messages from others are held in a conversation after `sequence`:
   * the ones a server snapshot taken at `sequence` has not counted as unread. An
   * AVChatRoom's (changeSequence 0, never stored) are never unread.
   */
  incomingAfter(conversationID, sequence) {
    let count = 0;
    for (const message of this.#byConversation.get(conversationID)?.values() ?? []) {
      const counts = message.flow === 'in' && message.status === 'success' && message.changeSequence !== 0;
      if (counts && message.sequence > sequence) {
        count += 1;
      }
    }
    return count;
  }

  /**
   * An account's new nick and avatar on every held message it sent, as the server
   * shows old messages with the sender's current ones (the group name card is the
   * group's, untouched).
   * @returns {Message[]} the messages that changed
   */
  applySender(userID, {nick, avatar}) {
    const changed = [];
    for (const byID of this.#byConversation.values()) {
      for (const message of byID.values()) {
        const same = message.nick === nick && message.avatar === avatar;
        if (message.from !== userID || same) continue;
        Object.assign(message, {nick, avatar});
        changed.push(message);
      }
    }
    return changed;
  }

  /** The messages held of one conversation. */
  inConversation(conversationID) {
    return this.#byConversation.get(conversationID)?.values() ?? [];
  }

  markRead(conversationID) {
    for (const message of this.#byConversation.get(conversationID)?.values() ?? []) {
      message.isRead = true;
    }
  }

  clear() {
    this.#byConversation.clear();
  }
}
