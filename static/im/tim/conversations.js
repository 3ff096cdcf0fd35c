import {TYPES} from './constants.js';
import {lastMessageOf} from './message.js';
import {atInfoOf, mergeAtInfo, withAtInfo} from './mentions.js';

/**
 * The conversation list this instance keeps between server snapshots: TIM's
 * Conversation objects, their order, and the unread arithmetic that reconciles a
 * snapshot with what happened here after it was taken (messages that arrived, a
 * read still on its way to the server).
 */

/**
 * A Conversation with every field TIM's has, filled from `fields` (the server's
 * object, or just `{conversationID, type}` for one a push revealed).
 */
export function makeConversation(fields) {
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

/** Whether a conversation's messages count towards the total (its remind type is the default). */
export function notifies(conversation) {
  const type = conversation.messageRemindType;
  return !type || type === TYPES.MSG_REMIND_ACPT_AND_NOTE;
}

/**
 * TIM's conversation-list order: pinned conversations first, then the newest; `rank`
 * breaks ties of messages sent in the same second.
 */
export function newestFirst(rank) {
  return (a, b) =>
    Number(Boolean(b.isPinned)) - Number(Boolean(a.isPinned)) ||
    (b.lastMessage?.lastTime ?? 0) - (a.lastMessage?.lastTime ?? 0) ||
    (rank.get(b.conversationID) ?? 0) - (rank.get(a.conversationID) ?? 0);
}

export class ConversationList {
  #incomingAfter;
  #onChange;
  #selfID;
  #byID = new Map(); // conversationID → Conversation
  // conversationID → a number that grows each time the conversation gets a newer last
  // message here: orders conversations whose last messages carry the same second.
  #ranks = new Map();
  #nextRank = 1;
  // conversationID → {stamp, answered} of the last markRead, to tell whether a
  // server snapshot of the conversation was taken before that read or after it.
  #reads = new Map();
  #stamp = 0; // orders this instance's requests
  #announcedTotal = 0;

  /**
   * @param {{incomingAfter: function(string, number): number, onChange: function(): void}} deps
   *   `incomingAfter(id, sequence)`: how many messages from others are held after
   *   `sequence`; `onChange()`: the list changed and wants announcing; `selfID()`:
   *   this account's userID (whose @mentions the list keeps)
   */
  constructor({incomingAfter, onChange, selfID = () => ''}) {
    this.#incomingAfter = incomingAfter;
    this.#onChange = onChange;
    this.#selfID = selfID;
  }

  get(id) {
    return this.#byID.get(id);
  }

  has(id) {
    return this.#byID.has(id);
  }

  /** Pinned first, then newest first: TIM's order. */
  sorted() {
    return [...this.#byID.values()].sort(newestFirst(this.#ranks));
  }

  /**
   * The sum of the unread counts, TIM's rule: neither the system conversation's nor
   * those set to AcceptNotNotify or Discard count.
   */
  totalUnread() {
    let total = 0;
    for (const c of this.#byID.values()) {
      if (c.type !== TYPES.CONV_SYSTEM && notifies(c)) total += c.unreadCount;
    }
    return total;
  }

  /**
   * This account changed how a conversation's messages reach it (an answer, or the push).
   * @returns {string|null} the type it had, or null if the conversation is not
   *   listed or already had this type
   */
  setRemindType(id, messageRemindType) {
    const conversation = this.#byID.get(id);
    if (!conversation || conversation.messageRemindType === messageRemindType) return null;
    const before = conversation.messageRemindType;
    conversation.messageRemindType = messageRemindType;
    this.#onChange();
    return before;
  }

  /**
   * This account pinned or unpinned a listed conversation (this session's answer; other
   * sessions hear it as the server's CONVERSATION_UPDATED).
   * @returns {boolean} whether it changed
   */
  setPinned(id, isPinned) {
    const conversation = this.#byID.get(id);
    if (!conversation || conversation.isPinned === isPinned) return false;
    conversation.isPinned = isPinned;
    this.#onChange();
    return true;
  }

  /** The total if it differs from the one last taken here, else null: announce only changes. */
  takeTotalChange() {
    const total = this.totalUnread();
    if (total === this.#announcedTotal) return null;
    this.#announcedTotal = total;
    return total;
  }

  /**
   * A stamp for a request about to ask the server for a snapshot. Requests on one
   * socket are handled in order, so comparing stamps tells which came first.
   */
  stamp() {
    return ++this.#stamp;
  }

  /**
   * New messages (pushed, or sent from here): last message, unread count, order.
   * @returns {string[]} the conversations this revealed, which the server should be
   *   asked about (a push says little: not the group's name, nor older unread ones)
   */
  noteMessages(messages) {
    const revealed = [];
    for (const message of messages) {
      const id = message.conversationID;
      let conversation = this.#byID.get(id);
      if (!conversation) {
        conversation = makeConversation({conversationID: id, type: message.conversationType});
        this.#byID.set(id, conversation);
        revealed.push(id);
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
        // An AVChatRoom's messages are never stored (changeSequence 0): nothing unread.
        if (message.changeSequence !== 0) conversation.unreadCount += 1;
        const atInfo = atInfoOf(message, this.#selfID());
        if (atInfo) conversation.groupAtInfoList = withAtInfo(conversation.groupAtInfoList, atInfo);
        if (conversation.userProfile) {
          const {nick, avatar} = message;
          conversation.userProfile = {...conversation.userProfile, nick, avatar};
        }
      }
    }
    this.#onChange();
    return revealed;
  }

  /**
   * An account's new profile (PROFILE_UPDATED, or our own updateMyProfile): the C2C
   * conversation with it shows its profile, and every last message it sent its nick
   * and avatar.
   * @returns {boolean} whether a conversation changed (and the list wants announcing)
   */
  applyUserProfile(profile) {
    let changed = false;
    const {userID, nick, avatar} = profile;
    for (const conversation of this.#byID.values()) {
      if (conversation.type === TYPES.CONV_C2C && conversation.userProfile?.userID === userID) {
        conversation.userProfile = {...conversation.userProfile, ...profile};
        changed = true;
      }
      const last = conversation.lastMessage;
      if (last?.fromAccount === userID && (last.nick !== nick || last.avatar !== avatar)) {
        conversation.lastMessage = {...last, nick, avatar};
        changed = true;
      }
    }
    if (changed) this.#onChange();
    return changed;
  }

  /**
   * The C2C peer has read up to `sequence`: a last message of ours it covers shows
   * `isPeerRead`.
   */
  notePeerRead(id, sequence) {
    const conversation = this.#byID.get(id);
    const last = conversation?.lastMessage;
    if (!last || last.isPeerRead || last.fromAccount === conversation.toAccount) return;
    if (last.lastSequence > sequence) return;
    conversation.lastMessage = {...last, isPeerRead: true};
    this.#onChange();
  }

  /** Recalled messages: a conversation whose last message it was shows the recall. */
  noteRevoked(messages) {
    let changed = false;
    for (const message of messages) {
      const conversation = this.#byID.get(message.conversationID);
      const atInfoList = conversation?.groupAtInfoList ?? [];
      const kept = atInfoList.filter((i) => i.messageSequence !== message.sequence);
      if (kept.length !== atInfoList.length) {
        conversation.groupAtInfoList = kept;
        changed = true;
      }
      const last = this.#byID.get(message.conversationID)?.lastMessage;
      if (last && last.lastSequence === message.sequence && last.fromAccount === message.from) {
        this.#byID.get(message.conversationID).lastMessage = {
          ...last,
          isRevoked: true,
          revoker: message.revoker,
        };
        changed = true;
      }
    }
    if (changed) this.#onChange();
  }

  /**
   * The page read a conversation: its count is 0 here at once.
   * @returns {{stamp: number, answered: boolean}} set `answered` once the server
   *   has confirmed; until then a snapshot from elsewhere does not bring the count back
   */
  markRead(id) {
    const read = {stamp: this.stamp(), answered: false};
    this.#reads.set(id, read);
    const conversation = this.#byID.get(id);
    if (conversation?.unreadCount || conversation?.groupAtInfoList.length) {
      conversation.unreadCount = 0;
      conversation.groupAtInfoList = [];
      this.#onChange();
    }
    return read;
  }

  /**
   * The server's profile of one conversation, asked for at `stamp`: merged, and put
   * in the list only if the conversation is there already (the server has a profile
   * for a deleted conversation too, and fetching it must not bring it back).
   * @param {boolean} keep whether the list may change (the session is still the one
   *   that asked)
   */
  applyProfile(id, fields, stamp, keep) {
    const local = this.#byID.get(id);
    const conversation = this.#merge(fields, local, {keepCount: this.#readAfter(id, stamp)});
    if (local && keep) this.#put(conversation, false);
    return conversation;
  }

  /** Another connection of this account changed a conversation (Hutong's own push). */
  applyPush(fields) {
    const read = this.#reads.get(fields.conversationID);
    // A read of ours still on its way to the server will leave the count at zero,
    // whatever the other connection saw.
    const keepCount = Boolean(read && !read.answered);
    const local = this.#byID.get(fields.conversationID);
    this.#put(this.#merge(fields, local, {keepCount}), !local);
  }

  /**
   * The server's view of a conversation after messages were deleted in it for this
   * account: taken as it is, since its last message may be older than the one held.
   */
  applyDeleted(fields) {
    const local = this.#byID.get(fields.conversationID);
    if (!local) return;
    const conversation = makeConversation(fields);
    const read = this.#reads.get(fields.conversationID);
    if (read && !read.answered) conversation.unreadCount = local.unreadCount;
    this.#byID.set(fields.conversationID, conversation);
    this.#onChange();
  }

  /**
   * Replace the list with the server's (newest first), asked for at `stamp`. Its
   * order ranks below anything that becomes newer here afterwards.
   */
  replace(list, stamp) {
    const byID = new Map();
    const ranks = new Map();
    list.forEach((fields, index) => {
      const id = fields.conversationID;
      const keepCount = this.#readAfter(id, stamp);
      byID.set(id, this.#merge(fields, this.#byID.get(id), {keepCount}));
      ranks.set(id, list.length - index);
    });
    this.#byID = byID;
    this.#ranks = ranks;
    this.#nextRank = list.length + 1;
  }

  forget(id) {
    if (!this.#byID.delete(id)) return;
    this.#ranks.delete(id);
    this.#onChange();
  }

  clear() {
    this.#byID.clear();
    this.#ranks.clear();
    this.#reads.clear();
    this.#announcedTotal = 0;
  }

  /**
   * A server snapshot of a conversation (list, profile or push), reconciled with
   * what this instance saw since the snapshot was taken.
   * @param {Object} fields the server's Conversation
   * @param {Object|undefined} local this instance's version
   * @param {{keepCount?: boolean}} [options] keep the local unread count (a read
   *   of ours the snapshot does not reflect)
   */
  #merge(fields, local, {keepCount = false} = {}) {
    const conversation = makeConversation(fields);
    if (!local) return conversation;
    const serverSequence = conversation.lastMessage?.lastSequence ?? 0;
    if ((local.lastMessage?.lastSequence ?? 0) > serverSequence) {
      // Messages that reached this instance after the snapshot: count them on top.
      conversation.lastMessage = local.lastMessage;
      conversation.unreadCount += this.#incomingAfter(conversation.conversationID, serverSequence);
      conversation.groupAtInfoList = mergeAtInfo(
        conversation.groupAtInfoList,
        local.groupAtInfoList,
        serverSequence,
      );
    }
    if (keepCount) {
      conversation.unreadCount = local.unreadCount;
      conversation.groupAtInfoList = local.groupAtInfoList;
    }
    return conversation;
  }

  /**
   * Whether this instance asked to read a conversation after asking for a snapshot
   * of it at `stamp`: that read reached the server after the snapshot was taken,
   * and the snapshot's count is stale.
   */
  #readAfter(id, stamp) {
    const read = this.#reads.get(id);
    return Boolean(read && read.stamp > stamp);
  }

  #put(conversation, isNew) {
    const id = conversation.conversationID;
    // An empty conversation has no place in TIM's list; it joins with its first message.
    if (isNew && !conversation.lastMessage) return;
    this.#byID.set(id, conversation);
    if (isNew) this.#ranks.set(id, this.#nextRank++);
    this.#onChange();
  }
}
