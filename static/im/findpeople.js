/**
 * Finding someone to chat with: the "New chat" dialog searches the chat site's users by
 * part of their userID or nick (the site's own `GET /im/people/`, not TIM's API: a TIM
 * app has no directory), lists them with avatar or initials, nick and userID, a page at
 * a time ("Load more"), and opens the C2C conversation of the one picked.
 *
 * Keyboard: the search box keeps the focus while the arrow keys move through the list
 * (`aria-activedescendant`, the combobox pattern), Enter picks, Escape closes.
 */
import {avatarElement, dismissable} from './profileui.js';

// Typing waits this long before searching, so a word is one request, not one a letter.
const TYPING_MS = 250;

export class FindPeople {
  #el;
  #url;
  #onPick;
  #i18n;
  #next = null; // where the next page starts; null: no more
  #active = -1; // the option the arrow keys are on
  #request = 0; // answers to older searches than the newest are dropped
  #timer = 0;

  /**
   * @param {object} options
   * @param {HTMLDialogElement} options.dialog the dialog, with the data-testid'd parts
   * @param {HTMLElement} options.opener the button that opens it
   * @param {string} options.url the search endpoint
   * @param {(userID: string) => void} options.onPick opens the chat with that user
   * @param {{gettext: Function, interpolate: Function}} options.i18n Django's JS catalog
   */
  constructor({dialog, opener, url, onPick, i18n}) {
    const part = (testid) => dialog.querySelector(`[data-testid="${testid}"]`);
    this.#el = {
      dialog,
      opener,
      input: part('people-search'),
      list: part('people-list'),
      more: part('people-more'),
      empty: part('no-people'),
      error: part('people-error'),
    };
    this.#url = url;
    this.#onPick = onPick;
    this.#i18n = i18n;
    this.#bind();
  }

  /** Opens the dialog, searching for `text` (everyone when empty). */
  open(text = '') {
    const {dialog, input} = this.#el;
    input.value = text;
    if (!dialog.open) dialog.showModal();
    input.focus();
    this.#search();
  }

  #bind() {
    const {dialog, opener, input, list, more} = this.#el;
    dismissable(dialog);
    opener.addEventListener('click', () => this.open());
    input.addEventListener('input', () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#search(), TYPING_MS);
    });
    input.addEventListener('keydown', (event) => this.#onKey(event));
    list.addEventListener('click', (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) this.#pick(option);
    });
    more.addEventListener('click', () => this.#search({more: true}));
    dialog.addEventListener('close', () => clearTimeout(this.#timer));
  }

  #options() {
    return [...this.#el.list.querySelectorAll('[role="option"]')];
  }

  #onKey(event) {
    if (event.isComposing || event.keyCode === 229) return; // typing Chinese: the IME's keys
    const options = this.#options();
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!options.length) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.#setActive(Math.min(Math.max(this.#active + step, 0), options.length - 1));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      // Enter before the list answers what is typed: search now, pick nothing stale.
      if (this.#el.input.value.trim() !== this.#el.list.dataset.query) return this.#search();
      const option = options[this.#active] ?? (options.length === 1 ? options[0] : null);
      if (option) this.#pick(option);
    }
  }

  #setActive(index) {
    const {input} = this.#el;
    const options = this.#options();
    this.#active = index;
    options.forEach((option, n) => option.setAttribute('aria-selected', String(n === index)));
    const option = options[index];
    if (option) {
      input.setAttribute('aria-activedescendant', option.id);
      option.scrollIntoView({block: 'nearest'});
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  #pick(option) {
    this.#el.dialog.close();
    this.#onPick(option.dataset.userId);
  }

  async #search({more = false} = {}) {
    clearTimeout(this.#timer);
    this.#timer = 0;
    const {gettext, interpolate} = this.#i18n;
    const {input, list, error} = this.#el;
    const request = ++this.#request;
    const query = input.value.trim();
    const params = new URLSearchParams({q: query, offset: String(more ? this.#next : 0)});
    let page;
    try {
      const response = await fetch(`${this.#url}?${params}`, {headers: {Accept: 'application/json'}});
      const body = await response.json();
      if (!response.ok || body.code !== 0) throw new Error(body.message);
      page = body.data;
    } catch {
      if (request !== this.#request) return;
      error.textContent = gettext('Could not search for people. Try again.');
      error.hidden = false;
      return;
    }
    if (request !== this.#request) return;
    error.hidden = true;
    const first = more ? this.#options().length : 0;
    if (!more) {
      list.replaceChildren();
      this.#setActive(-1);
    }
    list.dataset.query = query;
    for (const person of page.people) list.append(this.#option(person, this.#options().length));
    this.#next = page.nextOffset;
    this.#el.more.hidden = page.nextOffset === null;
    this.#el.empty.hidden = list.children.length > 0;
    this.#el.empty.textContent = query
      ? interpolate(gettext('Nobody matches “%s”.'), [query])
      : gettext('Nobody else has an account yet.');
    if (more && first < this.#options().length) {
      // The list grew: carry on from its first new person, typing still at hand.
      input.focus();
      this.#setActive(first);
    }
  }

  #option({userID, nick, avatar}, index) {
    const option = document.createElement('li');
    option.id = `person-${index}`;
    option.className = 'person';
    option.setAttribute('role', 'option');
    option.setAttribute('aria-selected', 'false');
    option.dataset.testid = 'person';
    option.dataset.userId = userID;
    const name = document.createElement('span');
    name.className = 'person-name';
    name.dataset.testid = 'person-nick';
    name.textContent = nick || userID;
    const id = document.createElement('span');
    id.className = 'user-id';
    id.dataset.testid = 'person-id';
    id.textContent = userID;
    const text = document.createElement('span');
    text.className = 'person-text';
    text.append(name, id);
    option.append(avatarElement({userID, name: nick, url: avatar}), text);
    return option;
  }
}
