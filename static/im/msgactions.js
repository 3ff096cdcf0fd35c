/**
 * The chat page's message actions: a menu on each message, opened by right-click, a
 * long press (touch), the keyboard (ContextMenu or Shift+F10 on a focused message) or
 * the "more" button shown on hover and focus, with copy, reply (a quote bar over
 * the composer; the quote shown above the reply), forward (a picker of
 * conversations), delete for me and recall where allowed.
 *
 * chat.js keeps the messages and draws them; it hands this module what it needs as
 * callbacks. Texts take Django's JavaScript catalog functions as `i18n`.
 */
import TIM from './tim.js';
import {abstractOf, quoteOf, replyData} from './tim/actions.js';

const {TYPES} = TIM;
const LONG_PRESS_MS = 500;
// Django's JavaScript catalog, as the page hands it over; the texts go through a plain
// `gettext(...)` call, which is what makemessages finds.
let catalog = {gettext: (text) => text};
function gettext(text) {
  return catalog.gettext(text);
}
const LONG_PRESS_SLOP_PX = 10; // a finger that moves this far is scrolling, not pressing

/**
 * @param {{root: HTMLElement, composer: HTMLElement, input: HTMLTextAreaElement,
 *   i18n: {gettext, interpolate}, tim: function(): Object,
 *   me: function(): string, activeID: function(): string|null,
 *   canRecall: function(Message): boolean, recall: function(Message): Promise,
 *   nameOf: function(Message): string, summaryOf: function(Message): string,
 *   conversations: function(): {conversationID: string, name: string}[],
 *   sent: function(Message, Promise): void, deleted: function(Message[]): void,
 *   showError: function(Error): void, showStatus: function(string): void}} page
 */
export class MessageActions {
  #page;
  #menu = null; // the open menu: {element, message, anchor}
  #replyTo = new Map(); // conversationID → the Message the composer replies to
  #bar;
  #dialog;

  constructor(page) {
    this.#page = page;
    catalog = page.i18n;
    this.#bar = this.#makeQuoteBar();
    this.#dialog = this.#makeForwardDialog();
    document.addEventListener('pointerdown', (event) => {
      if (this.#menu && !this.#menu.element.contains(event.target)) this.closeMenu();
    });
    document.addEventListener('scroll', () => this.closeMenu(), true);
  }

  // --- on each message ---

  /**
   * Make a drawn message open the menu: `row` holds `bubble`. The quote a reply
   * carries goes above the bubble (the bubble's text stays the message's own).
   */
  decorate(row, bubble, message) {
    const quote = quoteOf(message);
    if (quote) bubble.before(this.#quoteElement(quote));
    bubble.tabIndex = 0;
    bubble.setAttribute('aria-haspopup', 'menu');
    bubble.addEventListener('contextmenu', (event) => {
      event.preventDefault();
      this.openMenu(message, bubble, {x: event.clientX, y: event.clientY});
    });
    bubble.addEventListener('keydown', (event) => {
      if (event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey)) {
        event.preventDefault();
        this.openMenu(message, bubble);
      }
    });
    this.#longPress(bubble, message);
    const more = document.createElement('button');
    more.type = 'button';
    more.className = 'more-button';
    more.dataset.testid = 'message-more';
    more.textContent = '⋯';
    more.setAttribute('aria-haspopup', 'menu');
    more.setAttribute('aria-expanded', 'false');
    more.setAttribute('aria-label', gettext('Message actions'));
    more.title = gettext('Message actions');
    more.addEventListener('click', () => this.openMenu(message, more));
    bubble.after(more);
  }

  #longPress(bubble, message) {
    let timer = null;
    let start = null;
    const cancel = () => {
      clearTimeout(timer);
      timer = null;
    };
    bubble.addEventListener('pointerdown', (event) => {
      if (event.pointerType !== 'touch') return;
      start = {x: event.clientX, y: event.clientY};
      cancel();
      timer = setTimeout(() => {
        timer = null;
        this.openMenu(message, bubble, start);
      }, LONG_PRESS_MS);
    });
    bubble.addEventListener('pointermove', (event) => {
      if (!timer || !start) return;
      if (Math.hypot(event.clientX - start.x, event.clientY - start.y) > LONG_PRESS_SLOP_PX) cancel();
    });
    for (const name of ['pointerup', 'pointercancel', 'pointerleave']) bubble.addEventListener(name, cancel);
  }

  #quoteElement(quote) {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = 'quote';
    element.dataset.testid = 'quote';
    element.dataset.quotedId = quote.messageID;
    const who = document.createElement('span');
    who.className = 'quote-sender';
    who.textContent = quote.messageSender;
    const what = document.createElement('span');
    what.className = 'quote-text';
    what.textContent = quote.messageAbstract;
    element.append(who, what);
    element.title = gettext('Show the quoted message');
    element.addEventListener('click', () => this.#showQuoted(quote.messageID));
    return element;
  }

  /** Scroll to the quoted message if it is on the page; say so if it is not. */
  #showQuoted(messageID) {
    const row = this.#page.root.querySelector(`[data-message-id="${CSS.escape(messageID)}"]`);
    if (!row) {
      this.#page.showStatus(gettext('The quoted message is not loaded.'));
      return;
    }
    row.scrollIntoView({block: 'center'});
    row.classList.add('highlight');
    setTimeout(() => row.classList.remove('highlight'), 1500);
    row.querySelector('[data-testid="message"]')?.focus({preventScroll: true});
  }

  // --- the menu ---

  /** The actions a message offers, each with whether it can be used now. */
  itemsFor(message) {
    const sent = message.status === 'success';
    const text = message.type === TYPES.MSG_TEXT;
    return [
      {action: 'copy', label: gettext('Copy'), enabled: text},
      {action: 'reply', label: gettext('Reply'), enabled: sent},
      {action: 'forward', label: gettext('Forward'), enabled: sent && !message.isRevoked},
      {action: 'delete', label: gettext('Delete for me'), enabled: true},
      sent && this.#page.canRecall(message) && {action: 'recall', label: gettext('Recall'), enabled: true},
    ].filter(Boolean);
  }

  openMenu(message, anchor, point = null) {
    this.closeMenu();
    const menu = document.createElement('div');
    menu.className = 'message-menu';
    menu.dataset.testid = 'message-menu';
    menu.id = 'message-menu';
    menu.setAttribute('role', 'menu');
    menu.setAttribute('aria-label', gettext('Message actions'));
    for (const item of this.itemsFor(message)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.setAttribute('role', 'menuitem');
      button.dataset.testid = `action-${item.action}`;
      button.textContent = item.label;
      button.disabled = !item.enabled;
      button.tabIndex = -1;
      button.addEventListener('click', () => {
        this.closeMenu({focus: false});
        this.#run(item.action, message, anchor);
      });
      menu.append(button);
    }
    menu.addEventListener('keydown', (event) => this.#onMenuKey(event));
    document.body.append(menu);
    this.#menu = {element: menu, message, anchor};
    this.#expanded(anchor, true);
    this.#place(menu, anchor, point);
    this.#items()[0]?.focus();
  }

  closeMenu({focus = true} = {}) {
    if (!this.#menu) return;
    const {element, anchor} = this.#menu;
    this.#menu = null;
    const hadFocus = element.contains(document.activeElement);
    element.remove();
    this.#expanded(anchor, false);
    if (focus && hadFocus && anchor.isConnected) anchor.focus();
  }

  /** A button that opens the menu says whether it is open, and which menu (a bubble has
   * no role that takes aria-expanded: its aria-haspopup says enough). */
  #expanded(anchor, open) {
    if (!anchor.hasAttribute('aria-expanded')) return;
    anchor.setAttribute('aria-expanded', String(open));
    if (open) anchor.setAttribute('aria-controls', 'message-menu');
    else anchor.removeAttribute('aria-controls');
  }

  #items() {
    return [...(this.#menu?.element.querySelectorAll('[role="menuitem"]:not(:disabled)') ?? [])];
  }

  #onMenuKey(event) {
    const items = this.#items();
    const at = items.indexOf(document.activeElement);
    const move = {ArrowDown: 1, ArrowUp: -1}[event.key];
    if (move) {
      event.preventDefault();
      items[(at + move + items.length) % items.length]?.focus();
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      (event.key === 'Home' ? items[0] : items.at(-1))?.focus();
    } else if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      this.closeMenu();
    }
  }

  /** At the pointer, or beside the anchor; kept inside the window. */
  #place(menu, anchor, point) {
    const box = anchor.getBoundingClientRect();
    const {x, y} = point ?? {x: box.left, y: box.bottom};
    const width = menu.offsetWidth;
    const height = menu.offsetHeight;
    menu.style.left = `${Math.max(4, Math.min(x, window.innerWidth - width - 4))}px`;
    menu.style.top = `${Math.max(4, Math.min(y, window.innerHeight - height - 4))}px`;
  }

  async #run(action, message, anchor) {
    try {
      if (action === 'copy') await this.#copy(message);
      else if (action === 'reply') this.startReply(message);
      else if (action === 'forward') this.#openForward(message, anchor);
      else if (action === 'delete') await this.#delete(message);
      else if (action === 'recall') await this.#page.recall(message);
    } catch (error) {
      this.#page.showError(error);
    }
  }

  async #copy(message) {
    await navigator.clipboard.writeText(message.payload.text);
    this.#page.showStatus(gettext('Copied.'));
  }

  async #delete(message) {
    const {data} = await this.#page.tim().deleteMessage([message]);
    this.#page.deleted(data.messageList);
    if (this.#replyTo.get(message.conversationID) === message) this.cancelReply();
  }

  // --- replying ---

  startReply(message) {
    this.#replyTo.set(message.conversationID, message);
    this.showBar();
    this.#page.input.focus();
  }

  cancelReply() {
    const id = this.#page.activeID();
    if (id) this.#replyTo.delete(id);
    this.showBar();
  }

  /**
   * The cloudCustomData for what the composer sends to `conversationID` now, and
   * the reply is done with ('' without one).
   */
  takeReply(conversationID) {
    const message = this.#replyTo.get(conversationID);
    if (!message) return '';
    this.#replyTo.delete(conversationID);
    this.showBar();
    return replyData(message, {
      abstract: abstractOf(message, this.#page.summaryOf(message)),
      sender: this.#page.nameOf(message),
    });
  }

  /** The quote bar over the composer shows the open conversation's reply, if any. */
  showBar() {
    const message = this.#replyTo.get(this.#page.activeID());
    this.#bar.hidden = !message;
    this.#describeComposer(!!message);
    if (!message) return;
    const text = this.#bar.querySelector('[data-testid="reply-text"]');
    text.textContent = this.#page.i18n.interpolate(gettext('Replying to %s: %s'), [
      this.#page.nameOf(message),
      abstractOf(message, this.#page.summaryOf(message)),
    ]);
  }

  /** While replying, the composer's description includes the quote (a screen reader in the
   * composer hears what the message will answer). */
  #describeComposer(replying) {
    const input = this.#page.input;
    const ids = (input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((id) => id && id !== 'reply-text');
    if (replying) ids.push('reply-text');
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  }

  #makeQuoteBar() {
    const bar = document.createElement('div');
    bar.className = 'reply-bar';
    bar.dataset.testid = 'reply-bar';
    bar.hidden = true;
    const text = document.createElement('span');
    text.className = 'reply-text';
    text.dataset.testid = 'reply-text';
    text.id = 'reply-text';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'link';
    cancel.dataset.testid = 'reply-cancel';
    cancel.textContent = gettext('Cancel');
    // Its name is what it shows (axe: label-content-name-mismatch, which a longer label
    // failed in Chinese); what it cancels is the bar's text, read as its description.
    cancel.setAttribute('aria-describedby', 'reply-text');
    cancel.addEventListener('click', () => {
      this.cancelReply();
      this.#page.input.focus();
    });
    bar.append(text, cancel);
    this.#page.composer.before(bar);
    return bar;
  }

  // --- forwarding ---

  #makeForwardDialog() {
    const dialog = document.createElement('dialog');
    dialog.className = 'forward-dialog';
    dialog.dataset.testid = 'forward-dialog';
    const title = document.createElement('h2');
    title.id = 'forward-title';
    title.textContent = gettext('Forward to');
    dialog.setAttribute('aria-labelledby', title.id);
    const filter = document.createElement('input');
    filter.type = 'search';
    filter.dataset.testid = 'forward-filter';
    filter.placeholder = gettext('Filter conversations');
    filter.setAttribute('aria-label', gettext('Filter conversations'));
    const list = document.createElement('ul');
    list.className = 'forward-list';
    list.dataset.testid = 'forward-list';
    const close = document.createElement('button');
    close.type = 'button';
    close.dataset.testid = 'forward-cancel';
    close.textContent = gettext('Cancel');
    close.addEventListener('click', () => dialog.close());
    filter.addEventListener('input', () => this.#fillForwardList());
    dialog.append(title, filter, list, close);
    dialog.addEventListener('close', () => {
      const anchor = this.#forwarding?.anchor;
      this.#forwarding = null;
      if (anchor?.isConnected) anchor.focus();
    });
    this.#page.root.append(dialog);
    return dialog;
  }

  #forwarding = null; // {message, anchor} while the picker is open

  /** The conversation list changed: an open forward dialog offers the new one. */
  conversationsChanged() {
    if (this.#forwarding) this.#fillForwardList();
  }

  #openForward(message, anchor) {
    this.#forwarding = {message, anchor};
    const filter = this.#dialog.querySelector('[data-testid="forward-filter"]');
    filter.value = '';
    this.#fillForwardList();
    this.#dialog.showModal();
    filter.focus();
  }

  #fillForwardList() {
    const filter = this.#dialog.querySelector('[data-testid="forward-filter"]');
    const wanted = filter.value.trim().toLowerCase();
    const choices = this.#page
      .conversations()
      .filter((c) => c.conversationID !== TYPES.CONV_SYSTEM)
      .filter((c) => !wanted || `${c.name} ${c.conversationID}`.toLowerCase().includes(wanted));
    const items = choices.map(({conversationID, name}) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = 'forward-target';
      button.dataset.conversationId = conversationID;
      button.textContent = name;
      button.addEventListener('click', () => this.#forward(conversationID));
      item.append(button);
      return item;
    });
    if (!items.length) {
      const none = document.createElement('li');
      none.className = 'empty';
      none.textContent = gettext('No conversation matches.');
      items.push(none);
    }
    const list = this.#dialog.querySelector('[data-testid="forward-list"]');
    // A refill while a target has the focus (the list changed under the keyboard's
    // user) gives it to the same conversation's new button, or to the filter if the
    // conversation is gone, never to the page behind the modal dialog.
    const focused = list.contains(document.activeElement)
      ? document.activeElement.dataset.conversationId
      : null;
    list.replaceChildren(...items);
    if (focused !== null) {
      const same = [...list.querySelectorAll('[data-testid="forward-target"]')]
        .find((button) => button.dataset.conversationId === focused);
      (same ?? filter).focus();
    }
  }

  #forward(conversationID) {
    const {message} = this.#forwarding ?? {};
    if (!message) return;
    this.#dialog.close();
    const group = conversationID.startsWith(TYPES.CONV_GROUP);
    const to = conversationID.slice(group ? TYPES.CONV_GROUP.length : TYPES.CONV_C2C.length);
    const conversationType = group ? TYPES.CONV_GROUP : TYPES.CONV_C2C;
    let forward;
    try {
      forward = this.#page.tim().createForwardMessage({to, conversationType, payload: message});
    } catch (error) {
      this.#page.showError(error);
      return;
    }
    this.#page.sent(forward, this.#page.tim().sendMessage(forward));
    this.#page.showStatus(gettext('Forwarded.'));
  }
}
