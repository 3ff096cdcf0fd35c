/**
 * @mentions on the chat page: the member picker `@` opens in a group's composer, the
 * atUserList of what was picked, the "[@me]" flag of a conversation row, and the
 * mentions highlighted in a bubble. The text logic is plain functions, tested in Node.
 */
import {appendMessageText} from './links.js';

// TIM.TYPES.MSG_AT_ALL and the CONV_AT_* values (tim/constants.js), without importing
// the SDK into the Node tests of this module.
export const AT_ALL = '__kImSDK_MesssageAtALL__';
const CONV_AT_ME = 1;
const CONV_AT_ALL_AT_ME = 3;
/** Members the picker lists at most. */
export const MAX_CANDIDATES = 8;

/**
 * The mention being typed at `caret`: an `@` at the start of the text or after a
 * space, and what follows it up to the caret (no space in it), or null.
 */
export function mentionQuery(text, caret) {
  const before = text.slice(0, caret);
  const match = /(?:^|\s)@([^\s@]*)$/u.exec(before);
  if (!match) return null;
  return {start: caret - match[1].length - 1, query: match[1]};
}

/** What a member is called in the group: name card, else nick, else userID. */
export function memberLabel(member) {
  return member.nameCard || member.nick || member.userID;
}

/**
 * The picker's entries for `query`: "@all" first for the owner and admins (when the
 * query fits it), then members other than `self` whose label or userID contains it.
 * @returns {{userID: string, label: string}[]}
 */
export function candidates(members, query, {self, canAtAll, allLabel}) {
  const q = query.toLocaleLowerCase();
  const fits = (...names) => names.some((name) => name.toLocaleLowerCase().includes(q));
  const found = [];
  if (canAtAll && fits(allLabel, 'all')) found.push({userID: AT_ALL, label: allLabel});
  for (const member of members) {
    if (member.userID === self) continue;
    const label = memberLabel(member);
    if (fits(label, member.userID)) found.push({userID: member.userID, label});
    if (found.length >= MAX_CANDIDATES) break;
  }
  return found;
}

/** `text` with the mention typed from `start` to `caret` replaced by `@label `. */
export function insertMention(text, start, caret, label) {
  const inserted = `@${label} `;
  return {text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length};
}

/**
 * The atUserList to send with `text`: the picked people (label → userID) whose
 * `@label` is still in it, in the order picked.
 */
export function atUserListOf(text, picked) {
  const list = [];
  for (const [label, userID] of picked) {
    if (text.includes(`@${label}`) && !list.includes(userID)) list.push(userID);
  }
  return list;
}

/**
 * Split a text into plain runs and mentions (`@` after a space or at the start, to
 * the next space), in order.
 * @returns {({text: string}|{mention: string})[]}
 */
export function splitMentions(text) {
  const parts = [];
  let start = 0;
  for (const match of text.matchAll(/(^|\s)(@[^\s@]+)/gu)) {
    const at = match.index + match[1].length;
    if (at > start) parts.push({text: text.slice(start, at)});
    parts.push({mention: match[2]});
    start = at + match[2].length;
  }
  if (start < text.length) parts.push({text: text.slice(start)});
  return parts;
}

/** A text message's text, its mentions (if it has an atUserList) highlighted. */
export function appendMentionText(parent, text, atUserList) {
  if (!atUserList?.length) {
    appendMessageText(parent, text);
    return;
  }
  for (const part of splitMentions(text)) {
    if (part.text !== undefined) {
      appendMessageText(parent, part.text);
      continue;
    }
    const span = document.createElement('span');
    span.className = 'mention';
    span.dataset.testid = 'mention';
    span.textContent = part.mention;
    parent.append(span);
  }
}

/** A conversation row's flag: "[@me]" if one unread message names this account, "[@all]" if only everyone. */
export function mentionFlagText(groupAtInfoList, {gettext}) {
  if (!groupAtInfoList?.length) return '';
  const me = groupAtInfoList.some((info) =>
    info.atTypeArray?.some((t) => t === CONV_AT_ME || t === CONV_AT_ALL_AT_ME),
  );
  return me ? gettext('[@me]') : gettext('[@all]');
}

export function mentionFlag(groupAtInfoList, i18n) {
  const text = mentionFlagText(groupAtInfoList, i18n);
  if (!text) return null;
  const flag = document.createElement('span');
  flag.className = 'mention-flag';
  flag.dataset.testid = 'mention-flag';
  flag.textContent = `${text} `;
  return flag;
}

/**
 * The member picker of a composer (`input`), listing in `list` (a listbox). `group()`
 * says the open conversation's group ({groupID, canAtAll}) or null; `members(groupID)`
 * its members, or null while `load(groupID)` fetches them (then `refresh()`).
 */
export class MentionPicker {
  #input;
  #list;
  #group;
  #members;
  #load;
  #self;
  #i18n;
  #picked = new Map(); // label → userID, for the text in the composer
  #query = null;
  #entries = [];
  #active = 0;

  constructor({input, list, group, members, load, self, i18n}) {
    this.#input = input;
    this.#list = list;
    this.#group = group;
    this.#members = members;
    this.#load = load;
    this.#self = self;
    this.#i18n = i18n;
    // The composer stays a (multi-line) textbox, which takes no aria-expanded: the open list
    // shows through aria-controls and the option aria-activedescendant names.
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', list.id);
    list.setAttribute('role', 'listbox');
    input.addEventListener('input', () => this.refresh());
    input.addEventListener('click', () => this.refresh());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    // Registered before the page's own keydown (Enter sends): while open, the picker's.
    input.addEventListener('keydown', (event) => this.#onKey(event));
  }

  get isOpen() {
    return !this.#list.hidden;
  }

  /** The atUserList for the composer's text now. */
  atUserList() {
    return atUserListOf(this.#input.value, this.#picked);
  }

  /** The composer was emptied or changed conversation. */
  reset() {
    this.#picked.clear();
    this.close();
  }

  /** Open, update or close the list for the text at the caret (when the composer has the focus). */
  refresh() {
    if (this.#input.ownerDocument.activeElement !== this.#input) {
      this.close();
      return;
    }
    const group = this.#group();
    const typed = group ? mentionQuery(this.#input.value, this.#input.selectionStart ?? 0) : null;
    if (!typed) {
      this.close();
      return;
    }
    const members = this.#members(group.groupID);
    if (!members) {
      this.#load(group.groupID);
      this.close();
      return;
    }
    const {gettext} = this.#i18n;
    this.#query = typed;
    this.#entries = candidates(members, typed.query, {
      self: this.#self(),
      canAtAll: group.canAtAll,
      allLabel: gettext('all'),
    });
    if (!this.#entries.length) {
      this.close();
      return;
    }
    this.#active = Math.min(this.#active, this.#entries.length - 1);
    this.#render();
  }

  close() {
    if (this.#list.hidden) return;
    this.#list.hidden = true;
    this.#input.removeAttribute('aria-activedescendant');
    this.#active = 0;
  }

  #render() {
    const options = this.#entries.map((entry, index) => {
      const option = document.createElement('li');
      option.id = `mention-option-${index}`;
      option.className = 'mention-option';
      option.dataset.testid = 'mention-option';
      option.dataset.userId = entry.userID;
      option.setAttribute('role', 'option');
      option.setAttribute('aria-selected', String(index === this.#active));
      option.textContent = `@${entry.label}`;
      if (entry.userID !== AT_ALL && entry.label !== entry.userID) {
        const id = document.createElement('span');
        id.className = 'mention-id';
        id.textContent = entry.userID;
        option.append(' ', id);
      }
      // mousedown, not click: the composer keeps its focus (and its caret).
      option.addEventListener('mousedown', (event) => {
        event.preventDefault();
        this.#choose(index);
      });
      return option;
    });
    this.#list.replaceChildren(...options);
    this.#list.hidden = false;
    this.#input.setAttribute('aria-activedescendant', `mention-option-${this.#active}`);
  }

  #choose(index) {
    const entry = this.#entries[index];
    const caret = this.#input.selectionStart ?? this.#input.value.length;
    const next = insertMention(this.#input.value, this.#query.start, caret, entry.label);
    this.#picked.set(entry.label, entry.userID);
    this.#input.value = next.text;
    this.#input.setSelectionRange(next.caret, next.caret);
    this.close();
    this.#input.focus();
    this.#input.dispatchEvent(new Event('input', {bubbles: true}));
  }

  #onKey(event) {
    if (!this.isOpen || event.isComposing) return;
    const count = this.#entries.length;
    let handled = true;
    if (event.key === 'ArrowDown') this.#active = (this.#active + 1) % count;
    else if (event.key === 'ArrowUp') this.#active = (this.#active - 1 + count) % count;
    else if (event.key === 'Enter' || event.key === 'Tab') this.#choose(this.#active);
    else if (event.key === 'Escape') this.close();
    else handled = false;
    if (!handled) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (this.isOpen) this.#render();
  }
}
