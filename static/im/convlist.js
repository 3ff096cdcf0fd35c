/**
 * The conversation list's own controls (issue 15): a search box that filters the rows
 * as the user types, and a menu on each row (pin to top, mute, delete) that works by
 * keyboard as well as by pointer. chat.js builds the rows; this module filters them,
 * adds its marks and controls to each, and keeps the focus on the same row when the
 * list is drawn again.
 */
import TIM from './tim.js';

/** Remind types that ask for no attention: no badge, no notification, not in the total. */
export function isQuiet(remindType) {
  return (
    remindType === TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE || remindType === TIM.TYPES.MSG_REMIND_DISCARD
  );
}

/**
 * Whether a conversation matches what was typed in the search box: its shown name, the
 * peer's nick or userID, the group's name or groupID, ignoring case.
 * @param {Object} conversation TIM's Conversation (or the page's stand-in)
 * @param {string} name the name the list shows for it
 * @param {string} query what was typed
 */
export function matches(conversation, name, query) {
  const wanted = query.trim().toLowerCase();
  if (!wanted) return true;
  const id = conversation.conversationID;
  const words = [
    name,
    conversation.userProfile?.nick,
    conversation.userProfile?.userID,
    conversation.groupProfile?.name,
    conversation.groupProfile?.groupID,
    id.startsWith(TIM.TYPES.CONV_C2C) ? id.slice(TIM.TYPES.CONV_C2C.length) : '',
    id.startsWith(TIM.TYPES.CONV_GROUP) ? id.slice(TIM.TYPES.CONV_GROUP.length) : '',
  ];
  return words.some((word) => typeof word === 'string' && word.toLowerCase().includes(wanted));
}

/**
 * What to ask the SDK for to mute (`quiet`) or unmute a conversation: TIM's
 * setMessageRemindType, by groupID or by the C2C form's userIDList.
 */
export function remindOptions(conversationID, quiet) {
  const messageRemindType = quiet
    ? TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE
    : TIM.TYPES.MSG_REMIND_ACPT_AND_NOTE;
  if (conversationID.startsWith(TIM.TYPES.CONV_GROUP)) {
    return {groupID: conversationID.slice(TIM.TYPES.CONV_GROUP.length), messageRemindType};
  }
  return {userIDList: [conversationID.slice(TIM.TYPES.CONV_C2C.length)], messageRemindType};
}

export class ConversationListUI {
  #i18n;
  #deps;
  #search;
  #searchBox;
  #noMatches;
  #menu;
  #menuFor = null; // the conversationID whose menu is open

  /**
   * @param {Object} deps
   * @param {Object} deps.i18n Django's catalog functions
   * @param {HTMLElement} deps.list the list's `<ul>`
   * @param {HTMLElement} deps.searchBefore the search box goes before it
   * @param {function(): Object} deps.tim the SDK instance
   * @param {function(string): string} deps.nameOf a conversation's shown name
   * @param {function(Object): string} deps.remindTypeOf a conversation's remind type
   * @param {function(): void} deps.render draw the list again (the query changed)
   * @param {function(Error): void} deps.showError
   * @param {function(string): void} deps.onDeleted a conversation left the list
   */
  constructor(deps) {
    this.#deps = deps;
    this.#i18n = deps.i18n;
    const {gettext} = this.#i18n;
    const box = document.createElement('div');
    box.className = 'conversation-search';
    const label = document.createElement('label');
    label.htmlFor = 'conversation-search';
    label.className = 'visually-hidden';
    label.textContent = gettext('Search conversations');
    this.#search = document.createElement('input');
    Object.assign(this.#search, {
      id: 'conversation-search',
      type: 'search',
      autocomplete: 'off',
      spellcheck: false,
      placeholder: gettext('Search conversations'),
    });
    this.#search.dataset.testid = 'conversation-search';
    this.#search.addEventListener('input', () => deps.render());
    this.#search.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !this.#search.value) return;
      event.preventDefault();
      this.#search.value = '';
      deps.render();
    });
    box.append(label, this.#search);
    deps.searchBefore.before(box);
    this.#searchBox = box;
    this.#noMatches = document.createElement('p');
    this.#noMatches.className = 'empty no-matches';
    this.#noMatches.dataset.testid = 'no-matches';
    this.#noMatches.setAttribute('role', 'status');
    this.#noMatches.hidden = true;
    deps.list.before(this.#noMatches);

    this.#menu = document.createElement('div');
    this.#menu.className = 'row-menu';
    this.#menu.dataset.testid = 'conversation-menu';
    this.#menu.id = 'conversation-menu';
    this.#menu.setAttribute('role', 'menu');
    this.#menu.hidden = true;
    this.#menu.addEventListener('keydown', (event) => this.#onMenuKey(event));
    document.body.append(this.#menu);
    // The menu stays where it opened: a list that scrolls away from it closes it.
    deps.list.addEventListener('scroll', () => this.closeMenu(false), {passive: true});
    document.addEventListener('pointerdown', (event) => {
      if (this.#menuFor && !this.#menu.contains(event.target) && !event.target.closest?.('.row-menu-toggle')) {
        this.closeMenu(false);
      }
    });
  }

  /** The rows to show for what is typed in the search box. */
  filter(items) {
    const query = this.#search.value;
    return items.filter((c) => matches(c, this.#deps.nameOf(c.conversationID), query));
  }

  /**
   * After drawing: say so when the search hides every row (`total` rows before it,
   * `shown` after).
   */
  showResult(total, shown) {
    // Nothing to search yet: the empty state says what to do instead.
    this.#searchBox.hidden = total === 0 && !this.#search.value;
    const empty = total > 0 && shown === 0;
    this.#noMatches.hidden = !empty;
    this.#noMatches.textContent = empty
      ? this.#i18n.interpolate(this.#i18n.gettext('No conversation matches “%s”.'), [
          this.#search.value.trim(),
        ])
      : '';
  }

  /**
   * Add to a row: a pin mark in its button and, for a conversation of the SDK's list
   * (`listed`), the button that opens its menu.
   */
  decorate(item, button, conversation, listed) {
    const {gettext, interpolate} = this.#i18n;
    const id = conversation.conversationID;
    item.dataset.conversationId = id;
    if (conversation.isPinned) {
      item.classList.add('pinned');
      const pin = document.createElement('span');
      pin.className = 'pin-mark';
      pin.dataset.testid = 'pinned';
      pin.setAttribute('role', 'img');
      pin.setAttribute('aria-label', gettext('Pinned'));
      pin.title = gettext('Pinned');
      pin.textContent = '📌';
      button.querySelector('.peer')?.prepend(pin);
    }
    if (!listed) return;
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'row-menu-toggle';
    toggle.dataset.testid = 'conversation-menu-toggle';
    toggle.setAttribute('aria-haspopup', 'menu');
    toggle.setAttribute('aria-expanded', String(this.#menuFor === id));
    if (this.#menuFor === id) toggle.setAttribute('aria-controls', this.#menu.id);
    toggle.setAttribute('aria-label', interpolate(gettext('Actions for %s'), [this.#deps.nameOf(id)]));
    toggle.textContent = '⋯';
    toggle.addEventListener('click', () => {
      if (this.#menuFor === id) this.closeMenu(true);
      else this.#openMenu(conversation, toggle);
    });
    toggle.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' && this.#menuFor !== id) {
        event.preventDefault();
        this.#openMenu(conversation, toggle);
      }
    });
    item.append(toggle);
  }

  /** Where the focus is in the list, to put it back on the same row once redrawn. */
  focusInList() {
    const active = document.activeElement;
    const item = active?.closest?.('[data-conversation-id]');
    if (!item || !this.#deps.list.contains(item)) return null;
    return {id: item.dataset.conversationId, toggle: active.classList.contains('row-menu-toggle')};
  }

  restoreFocus(focus) {
    if (!focus) return;
    const item = this.#deps.list.querySelector(`[data-conversation-id="${CSS.escape(focus.id)}"]`);
    const target = item?.querySelector(focus.toggle ? '.row-menu-toggle' : '.conversation-item');
    target?.focus();
  }

  closeMenu(refocus) {
    const id = this.#menuFor;
    if (!id) return;
    this.#menuFor = null;
    this.#menu.hidden = true;
    this.#menu.replaceChildren();
    const toggle = this.#toggleOf(id);
    toggle?.setAttribute('aria-expanded', 'false');
    toggle?.removeAttribute('aria-controls');
    if (refocus) toggle?.focus();
  }

  #toggleOf(id) {
    return this.#deps.list.querySelector(
      `[data-conversation-id="${CSS.escape(id)}"] .row-menu-toggle`,
    );
  }

  #openMenu(conversation, toggle) {
    const {gettext, interpolate} = this.#i18n;
    const id = conversation.conversationID;
    this.closeMenu(false);
    this.#menuFor = id;
    const quiet = isQuiet(this.#deps.remindTypeOf(conversation));
    const items = [
      this.#item(
        conversation.isPinned ? gettext('Unpin') : gettext('Pin to top'),
        'menu-pin',
        () => this.#deps.tim().pinConversation({conversationID: id, isPinned: !conversation.isPinned}),
      ),
    ];
    if (!id.startsWith(TIM.TYPES.CONV_SYSTEM)) {
      items.push(
        this.#item(quiet ? gettext('Unmute notifications') : gettext('Mute notifications'), 'menu-mute', () =>
          this.#deps.tim().setMessageRemindType(remindOptions(id, !quiet)),
        ),
      );
    }
    items.push(
      this.#item(gettext('Delete conversation'), 'menu-delete', async () => {
        await this.#deps.tim().deleteConversation(id);
        this.#deps.onDeleted(id);
      }),
    );
    this.#menu.setAttribute('aria-label', interpolate(gettext('Actions for %s'), [this.#deps.nameOf(id)]));
    this.#menu.replaceChildren(...items);
    this.#menu.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    toggle.setAttribute('aria-controls', this.#menu.id);
    const box = toggle.getBoundingClientRect();
    const width = this.#menu.offsetWidth;
    const height = this.#menu.offsetHeight;
    // Below the row, or above it when the row is near the bottom of the window.
    const below = box.bottom + 2 + height <= window.innerHeight;
    this.#menu.style.top = `${Math.round(below ? box.bottom + 2 : Math.max(4, box.top - 2 - height))}px`;
    this.#menu.style.left = `${Math.round(Math.max(4, box.right - width))}px`;
    items[0].focus();
  }

  #item(text, testid, run) {
    const item = document.createElement('button');
    item.type = 'button';
    item.setAttribute('role', 'menuitem');
    item.tabIndex = -1;
    item.dataset.testid = testid;
    item.textContent = text;
    item.addEventListener('click', async () => {
      const id = this.#menuFor;
      this.closeMenu(false);
      this.#toggleOf(id)?.focus();
      try {
        await run();
      } catch (error) {
        this.#deps.showError(error);
      }
    });
    return item;
  }

  #onMenuKey(event) {
    const items = [...this.#menu.querySelectorAll('[role="menuitem"]')];
    const at = items.indexOf(document.activeElement);
    let next = null;
    if (event.key === 'ArrowDown') next = (at + 1) % items.length;
    else if (event.key === 'ArrowUp') next = (at - 1 + items.length) % items.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = items.length - 1;
    else if (event.key === 'Escape') {
      event.preventDefault();
      this.closeMenu(true);
      return;
    } else if (event.key === 'Tab') {
      this.closeMenu(true);
      return;
    }
    if (next === null) return;
    event.preventDefault();
    items[next].focus();
  }
}
