/**
 * Read ticks and "typing…" in C2C chats, for the chat page.
 *
 * Typing travels as TUIKit's typing indicator: a custom message whose `data` is JSON
 * `{businessID: 'user_typing_status', typingStatus: 1 | 0, ...}`, sent with
 * `sendMessage(message, {onlineUserOnly: true})`, so the server never stores or counts
 * it. `TypingSender` decides when to send one (at most every few seconds while the
 * text is there, and a stop when it is cleared or sent); `TypingIndicator` keeps who is
 * typing, forgotten a few seconds after their last news. Only `tickElement` touches
 * the DOM, so the node tests import the rest as it is.
 */

export const TYPING_BUSINESS_ID = 'user_typing_status';
/** While the text is there, "still typing" goes out at most this often. */
export const TYPING_INTERVAL_MS = 4000;
/** "typing…" goes away this long after the last news from the peer. */
export const TYPING_TIMEOUT_MS = 5000;

/** The custom payload of a typing indicator (TUIKit's fields). */
export function typingPayload(typing) {
  const data = {
    businessID: TYPING_BUSINESS_ID,
    typingStatus: typing ? 1 : 0,
    version: 1,
    userAction: 14,
    actionParam: typing ? 'EIMAMSG_InputStatus_Ing' : 'EIMAMSG_InputStatus_End',
  };
  return {data: JSON.stringify(data), description: '', extension: ''};
}

/**
 * A message's typing status: 1 typing, 0 stopped, or null when it is not a typing
 * indicator.
 */
export function typingStatusOf(message) {
  if (message?.type !== 'TIMCustomElem' || typeof message.payload?.data !== 'string') return null;
  let data;
  try {
    data = JSON.parse(message.payload.data);
  } catch {
    return null;
  }
  if (data?.businessID !== TYPING_BUSINESS_ID) return null;
  return data.typingStatus === 1 ? 1 : 0;
}

/** Whether the page shows `message` as a bubble: never an online-only one (typing). */
export function isShown(message) {
  return message.onlineOnlyFlag !== true && typingStatusOf(message) === null;
}

/** When the page tells a C2C peer that its user is typing, and when it stopped. */
export class TypingSender {
  #send;
  #now;
  #intervalMs;
  #typingTo = null; // the conversation told "typing" last, until told "stopped"
  #sentAt = 0;

  /**
   * @param {function(string, number): void} send sends status 1 or 0 to a conversation
   * @param {{now?: function(): number, intervalMs?: number}} [options]
   */
  constructor(send, {now = () => Date.now(), intervalMs = TYPING_INTERVAL_MS} = {}) {
    this.#send = send;
    this.#now = now;
    this.#intervalMs = intervalMs;
  }

  /** The composer of `conversationID` changed; `hasText`: whether text is in it. */
  input(conversationID, hasText) {
    if (this.#typingTo !== null && this.#typingTo !== conversationID) this.stop();
    if (!hasText) {
      this.stop();
      return;
    }
    const now = this.#now();
    if (this.#typingTo === conversationID && now - this.#sentAt < this.#intervalMs) return;
    this.#typingTo = conversationID;
    this.#sentAt = now;
    this.#send(conversationID, 1);
  }

  /** The text was sent or cleared, or the user left the conversation. */
  stop() {
    if (this.#typingTo === null) return;
    const to = this.#typingTo;
    this.#typingTo = null;
    this.#send(to, 0);
  }
}

/** Which conversations' peers are typing now. */
export class TypingIndicator {
  #onChange;
  #timeoutMs;
  #timers = new Map(); // conversationID → the timer that forgets it

  /**
   * @param {function(string): void} onChange told the conversation whose state changed
   * @param {{timeoutMs?: number}} [options]
   */
  constructor(onChange, {timeoutMs = TYPING_TIMEOUT_MS} = {}) {
    this.#onChange = onChange;
    this.#timeoutMs = timeoutMs;
  }

  isTyping(conversationID) {
    return this.#timers.has(conversationID);
  }

  /** A typing indicator arrived: status 1 typing (for a while), 0 stopped. */
  note(conversationID, status) {
    if (status !== 1) {
      this.clear(conversationID);
      return;
    }
    const was = this.#timers.has(conversationID);
    clearTimeout(this.#timers.get(conversationID));
    this.#timers.set(
      conversationID,
      setTimeout(() => this.clear(conversationID), this.#timeoutMs),
    );
    if (!was) this.#onChange(conversationID);
  }

  /** No longer typing: stopped, silent for too long, or its message arrived. */
  clear(conversationID) {
    if (!this.#timers.has(conversationID)) return;
    clearTimeout(this.#timers.get(conversationID));
    this.#timers.delete(conversationID);
    this.#onChange(conversationID);
  }
}

/**
 * The tick of one of our C2C messages: `{read, text, label}`, or null for a message
 * that has none (incoming, a group's, not sent yet).
 */
export function tickOf(message, {gettext}) {
  const own = message.flow === 'out' && message.status === 'success';
  if (!own || message.conversationType !== 'C2C') return null;
  return message.isPeerRead
    ? {read: true, text: '✓✓', label: gettext('Read')}
    : {read: false, text: '✓', label: gettext('Sent')};
}

/** The tick as an element for a message's meta line, or null. */
export function tickElement(message, i18n) {
  const tick = tickOf(message, i18n);
  if (!tick) return null;
  const span = document.createElement('span');
  span.className = tick.read ? 'tick read' : 'tick';
  span.dataset.testid = 'read-tick';
  span.dataset.read = String(tick.read);
  span.setAttribute('role', 'img');
  span.setAttribute('aria-label', tick.label);
  span.title = tick.label;
  span.textContent = tick.text;
  return span;
}
