/**
 * The chat page's people: the names and avatars it shows for userIDs (kept live by
 * PROFILE_UPDATED), the profile card of anyone, the editor of one's own profile, and
 * the blacklist (block, unblock, the blocked list, the notice in a blocked chat).
 *
 * As in the rest of the page, what users wrote (nicks, signatures, userIDs) reaches
 * the page as text only. The helpers at the top touch no DOM; `People` and
 * `ProfileUI` build elements when called. Texts take Django's JavaScript catalog
 * functions as `i18n`, as groupui.js does.
 */
import TIM from './tim.js';
import {errorText, profileErrorText} from './pagetext.js';

const {TYPES} = TIM;

const PROFILE_BATCH = 100; // getUserProfile reads at most 100 userIDs a call
// A profile's avatar link is signed and expires (IM_MEDIA_URL_EXPIRE, an hour by
// default): one shown this long after it was heard is asked for again.
const PROFILE_REFRESH_MS = 30 * 60 * 1000;

// --- without a DOM ---

const ONE_GLYPH_SCRIPTS = /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}/u;

/**
 * What an avatar without a picture shows: "A" for alice, "AW" for Alice Wong, "王"
 * for 王小明 (one Chinese character already says who it is).
 */
export function initialsOf(name) {
  const words = String(name ?? '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = Array.from(words[0])[0];
  if (ONE_GLYPH_SCRIPTS.test(first) || words.length === 1) return first.toUpperCase();
  return (first + Array.from(words.at(-1))[0]).toUpperCase();
}

/** A hue (0-359) of its own for each userID, so two people's initials differ in colour too. */
export function hueOf(userID) {
  let hash = 0;
  for (const char of String(userID)) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

/** TIM's gender as people read it; '' for none set. */
export function genderText(gender, {gettext}) {
  if (gender === TYPES.GENDER_FEMALE) return gettext('Female');
  if (gender === TYPES.GENDER_MALE) return gettext('Male');
  return '';
}

/** TIM's birthday (a number, by convention YYYYMMDD) as a date input's "YYYY-MM-DD"; '' if none. */
export function birthdayInput(birthday) {
  const digits = String(Number(birthday) || 0);
  if (!/^\d{8}$/.test(digits)) return '';
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`;
}

/** A date input's "YYYY-MM-DD" as TIM's birthday number; 0 for none. */
export function birthdayNumber(value) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Number(value.replaceAll('-', '')) : 0;
}

/**
 * Only the links an avatar may have: http(s), or a path on this server (the file
 * system store's signed links); never javascript: or data: from someone's profile.
 */
function safeURL(url) {
  return typeof url === 'string' && /^(https?:|\/(?!\/))/i.test(url) ? url : '';
}

// --- elements ---

/**
 * A round avatar: the picture, or the initials of `name` on a colour of the userID's
 * (drawn by CSS from data-initials, so the avatar adds no text to what it sits in).
 * Decorative: the name is always written beside it.
 */
export function avatarElement({userID, name, url}, size = '') {
  const avatar = document.createElement('span');
  avatar.className = size ? `avatar ${size}` : 'avatar';
  avatar.dataset.testid = 'avatar';
  avatar.dataset.userId = userID;
  avatar.dataset.initials = initialsOf(name || userID);
  avatar.style.setProperty('--avatar-hue', String(hueOf(userID)));
  avatar.setAttribute('aria-hidden', 'true');
  const link = safeURL(url);
  if (link) {
    const img = document.createElement('img');
    img.alt = '';
    img.src = link;
    img.decoding = 'async';
    // An expired or broken link falls back to the initials.
    img.addEventListener('error', () => {
      img.remove();
      avatar.classList.remove('has-image');
    });
    avatar.classList.add('has-image');
    avatar.append(img);
  }
  return avatar;
}

/** A dialog that its close button (data-testid="dialog-close") and a click on its
 * backdrop close, as Escape does. */
export function dismissable(dialog) {
  dialog.querySelector('[data-testid="dialog-close"]').addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (event) => {
    // A click on the backdrop (outside the box; the box's own padding is the dialog too).
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right &&
      event.clientY >= box.top && event.clientY <= box.bottom;
    if (event.target === dialog && !inside) dialog.close();
  });
}

function element(tag, {className = '', testid = '', text = ''} = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (testid) node.dataset.testid = testid;
  if (text) node.textContent = text;
  return node;
}

function button(label, testid, onClick, className = '') {
  const node = element('button', {className, testid, text: label});
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}

// --- people: profiles as last heard ---

/**
 * The profiles the page has heard of, by userID: fetched in batches the first time a
 * userID is shown (and again once its avatar link may have expired), replaced by each
 * PROFILE_UPDATED. A userID with no profile yet shows what its message or
 * conversation carried, then its userID.
 */
export class People {
  #profiles = new Map();
  #heard = new Map(); // userID → when its profile was heard (ms)
  #asked = new Set();
  #queue = new Set();
  #timer = null;
  #tim = null;
  #onChange;

  /** @param {function(string[]): void} onChange told which userIDs' profiles changed */
  constructor(onChange) {
    this.#onChange = onChange;
  }

  /** Signed in (`tim`) or out (null): fetches wait for a session. */
  use(tim) {
    this.#tim = tim;
    if (tim) this.#schedule();
  }

  get(userID) {
    return this.#profiles.get(userID);
  }

  /** The name shown for a userID: a group name card, the nick, what a message said, the userID. */
  nameOf(userID, {nick = '', nameCard = ''} = {}) {
    if (nameCard) return nameCard;
    return this.#lookup(userID)?.nick || nick || userID;
  }

  /** The avatar link of a userID; `fallback` (a message's) until its profile is known. */
  avatarOf(userID, fallback = '') {
    const profile = this.#lookup(userID);
    return profile ? profile.avatar : fallback;
  }

  /** Keep these profiles (an answer's, a push's) and redraw what shows them. */
  remember(profiles) {
    const ids = [];
    for (const profile of profiles) {
      if (!profile?.userID) continue;
      this.#profiles.set(profile.userID, profile);
      this.#heard.set(profile.userID, Date.now());
      this.#asked.add(profile.userID);
      ids.push(profile.userID);
    }
    if (ids.length) this.#onChange(ids);
  }

  #lookup(userID) {
    if (!userID) return undefined;
    const profile = this.#profiles.get(userID);
    const stale = profile && Date.now() - this.#heard.get(userID) > PROFILE_REFRESH_MS;
    if (stale) this.#asked.delete(userID);
    if (!this.#asked.has(userID)) {
      this.#asked.add(userID);
      this.#queue.add(userID);
      this.#schedule();
    }
    return profile;
  }

  // One request for every userID a render asked about, after the render.
  #schedule() {
    if (this.#timer || !this.#tim || !this.#queue.size) return;
    this.#timer = setTimeout(() => this.#fetch(), 0);
  }

  async #fetch() {
    this.#timer = null;
    const tim = this.#tim;
    if (!tim) return; // signed out meanwhile: the queue waits for the next session
    const ids = [...this.#queue].slice(0, PROFILE_BATCH);
    for (const id of ids) this.#queue.delete(id);
    try {
      const {data} = await tim.getUserProfile({userIDList: ids});
      this.remember(data);
    } catch (error) {
      for (const id of ids) this.#asked.delete(id); // asked again when next shown
      console.warn('could not fetch profiles', error);
    }
    this.#schedule();
  }
}

// --- the page's profile and blacklist controls ---

/**
 * The profile card, the settings dialog (one's own profile and the blocked list), the
 * block control and notice of a C2C conversation. chat.js owns the rest of the page
 * and is told through `onChange` when names, avatars or the blacklist changed.
 */
export class ProfileUI {
  #tim = null;
  #me = ''; // this account's userID
  #myProfile = null;
  #blacklist = [];
  #cardUserID = null; // whose card the profile dialog shows
  #peer = null; // the open C2C conversation's peer, for the block control and notice
  #i18n;
  #onChange;
  #openChat;
  #showStatus;
  #el;

  /**
   * @param {{i18n, onChange: function(): void, openChat: function(string): void,
   *   showStatus: function(string): void}} options `openChat(userID)` opens a C2C
   *   conversation; `showStatus` says a failure in the page's status line
   */
  constructor({i18n, onChange, openChat, showStatus}) {
    this.#i18n = i18n;
    this.#showStatus = showStatus;
    this.#onChange = onChange;
    this.#openChat = openChat;
    this.people = new People((ids) => this.#peopleChanged(ids));
    const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
    this.#el = {
      settingsOpen: $('settings-open'),
      settings: $('settings'),
      myAvatarPreview: $('my-avatar-preview'),
      avatarInput: $('avatar-input'),
      avatarChoose: $('avatar-choose'),
      avatarRemove: $('avatar-remove'),
      avatarUpload: $('avatar-upload'),
      avatarProgress: $('avatar-progress'),
      avatarPercent: $('avatar-percent'),
      profileForm: $('profile-form'),
      profileError: $('profile-error'),
      profileSaved: $('profile-saved'),
      myUserID: $('my-user-id'),
      blockedList: $('blocked-list'),
      noBlocked: $('no-blocked'),
      blacklistError: $('blacklist-error'),
      profileDialog: $('profile-dialog'),
      profileCard: $('profile-card'),
      blockToggle: $('block-toggle'),
      blockedNotice: $('blocked-notice'),
      blockedText: $('blocked-text'),
      blockedUnblock: $('blocked-unblock'),
    };
    this.#bind();
  }

  // --- the session ---

  /** The SDK is ready (again): read this account's profile and blacklist. */
  async start(tim, userID) {
    this.#tim = tim;
    this.#me = userID;
    this.people.use(tim);
    this.#el.settingsOpen.disabled = false;
    const [mine, blocked] = await Promise.allSettled([tim.getMyProfile(), tim.getBlacklist()]);
    if (mine.status === 'fulfilled') this.#setMyProfile(mine.value.data);
    else console.warn('could not fetch your profile', mine.reason);
    if (blocked.status === 'fulfilled') this.#setBlacklist(blocked.value.data);
    else console.warn('could not fetch your blacklist', blocked.reason);
  }

  /** Signed out: nothing can be asked until the next start. */
  stop() {
    this.#tim = null;
    this.people.use(null);
    this.#el.settingsOpen.disabled = true;
    if (this.#el.settings.open) this.#el.settings.close();
    if (this.#el.profileDialog.open) this.#el.profileDialog.close();
  }

  /** Listen to the SDK's profile and blacklist events. */
  listen(tim) {
    tim.on(TIM.EVENT.PROFILE_UPDATED, ({data}) => this.people.remember(data));
    tim.on(TIM.EVENT.BLACKLIST_UPDATED, ({data}) => this.#setBlacklist(data));
  }

  isBlocked(userID) {
    return this.#blacklist.includes(userID);
  }

  // --- the open conversation ---

  /** The block control and the notice, for the open conversation's peer (null: not C2C). */
  showPeer(userID) {
    const {gettext, interpolate} = this.#i18n;
    this.#peer = userID && userID !== this.#me ? userID : null;
    const peer = this.#peer;
    const blocked = Boolean(peer && this.isBlocked(peer));
    this.#el.blockToggle.hidden = !peer;
    this.#el.blockedNotice.hidden = !blocked;
    if (!peer) return;
    const name = this.people.nameOf(peer);
    this.#el.blockToggle.textContent = blocked ? gettext('Unblock') : gettext('Block');
    this.#el.blockToggle.setAttribute(
      'aria-label',
      interpolate(blocked ? gettext('Unblock %s') : gettext('Block %s'), [name]),
    );
    if (blocked) {
      this.#el.blockedText.textContent = interpolate(
        gettext('You blocked %s: their messages do not reach you. You can still send them messages.'),
        [name],
      );
    }
  }

  // --- the profile card ---

  /** Show someone's profile (fetched afresh, for a fresh avatar link and what changed). */
  async openProfile(userID) {
    this.#cardUserID = userID;
    this.#renderCard();
    if (!this.#el.profileDialog.open) this.#el.profileDialog.showModal();
    if (!this.#tim) return;
    try {
      const {data} = await this.#tim.getUserProfile({userIDList: [userID]});
      this.people.remember(data);
    } catch (error) {
      this.#cardError(errorText(error, this.#i18n));
    }
  }

  #renderCard() {
    const {gettext} = this.#i18n;
    const userID = this.#cardUserID;
    const profile = this.people.get(userID);
    const name = this.people.nameOf(userID);
    const head = element('div', {className: 'card-head'});
    const title = element('h3', {className: 'card-name', testid: 'card-nick', text: name});
    head.append(avatarElement({userID, name, url: profile?.avatar}, 'large'), title);

    const facts = element('dl', {className: 'profile-facts', testid: 'card-facts'});
    const rows = [[gettext('User ID'), userID, 'card-user-id']];
    if (profile?.selfSignature) rows.push([gettext('Signature'), profile.selfSignature, 'card-signature']);
    const gender = genderText(profile?.gender, this.#i18n);
    if (gender) rows.push([gettext('Gender'), gender, 'card-gender']);
    const birthday = birthdayInput(profile?.birthday);
    if (birthday) rows.push([gettext('Birthday'), birthday, 'card-birthday']);
    for (const [term, value, testid] of rows) {
      facts.append(element('dt', {text: term}), element('dd', {testid, text: value}));
    }
    const error = element('p', {className: 'sheet-error', testid: 'card-error'});
    error.setAttribute('role', 'alert');
    error.hidden = true;

    const actions = element('div', {className: 'card-actions'});
    if (userID === this.#me) {
      actions.append(button(gettext('Edit your profile'), 'card-edit', () => {
        this.#el.profileDialog.close();
        this.openSettings();
      }));
    } else {
      const message = button(gettext('Send message'), 'card-message', () => {
        this.#el.profileDialog.close();
        this.#openChat(userID);
      }, 'primary');
      const blocked = this.isBlocked(userID);
      const block = blocked
        ? button(gettext('Unblock'), 'card-unblock', () => this.unblock(userID))
        : button(gettext('Block'), 'card-block', () => this.block(userID), 'danger');
      actions.append(message, block);
      if (blocked) {
        facts.append(
          element('dt', {text: gettext('Blocked')}),
          element('dd', {testid: 'card-blocked', text: gettext('Their messages do not reach you.')}),
        );
      }
    }
    this.#el.profileCard.replaceChildren(head, facts, error, actions);
  }

  #cardError(text) {
    const error = this.#el.profileCard.querySelector('[data-testid="card-error"]');
    if (!error) return;
    error.textContent = text;
    error.hidden = !text;
  }

  // --- blocking ---

  /** Block a user, once the user confirms; the answer is the whole new list. */
  async block(userID) {
    const {gettext, interpolate} = this.#i18n;
    const name = this.people.nameOf(userID);
    const question = interpolate(
      gettext('Block %s? Their messages will no longer reach you. You can unblock them in Profile & settings.'),
      [name],
    );
    if (!window.confirm(question)) return;
    await this.#changeBlacklist(() => this.#tim.addToBlacklist({userIDList: [userID]}));
  }

  async unblock(userID) {
    await this.#changeBlacklist(() => this.#tim.removeFromBlacklist({userIDList: [userID]}));
  }

  async #changeBlacklist(run) {
    if (!this.#tim) return;
    this.#showBlacklistError('');
    try {
      const {data} = await run();
      this.#setBlacklist(data);
    } catch (error) {
      this.#showBlacklistError(errorText(error, this.#i18n));
    }
  }

  // Where a blacklist failure shows: in the dialog that is open, else the page's status line.
  #showBlacklistError(text) {
    if (this.#el.profileDialog.open) this.#cardError(text);
    else if (this.#el.settings.open) {
      this.#el.blacklistError.textContent = text;
      this.#el.blacklistError.hidden = !text;
    } else if (text) {
      this.#showStatus(text);
    }
  }

  #setBlacklist(list) {
    this.#blacklist = Array.isArray(list) ? [...list] : [];
    this.#renderBlockedList();
    if (this.#el.profileDialog.open) this.#renderCard();
    this.#onChange();
  }

  #renderBlockedList() {
    const {gettext, interpolate} = this.#i18n;
    const items = this.#blacklist.map((userID) => {
      const name = this.people.nameOf(userID);
      const item = element('li', {className: 'blocked-user', testid: 'blocked-user'});
      item.dataset.userId = userID;
      const label = element('span', {className: 'blocked-name'});
      label.append(element('span', {testid: 'blocked-nick', text: name}));
      if (name !== userID) label.append(' ', element('span', {className: 'user-id', text: `(${userID})`}));
      const unblock = button(gettext('Unblock'), 'unblock', () => this.unblock(userID));
      unblock.setAttribute('aria-label', interpolate(gettext('Unblock %s'), [name]));
      item.append(avatarElement({userID, name, url: this.people.avatarOf(userID)}), label, unblock);
      return item;
    });
    this.#el.blockedList.replaceChildren(...items);
    this.#el.noBlocked.hidden = items.length > 0;
  }

  // --- one's own profile ---

  openSettings() {
    this.#fillProfileForm();
    this.#showProfileError('');
    this.#el.profileSaved.textContent = '';
    this.#el.blacklistError.hidden = true;
    this.#renderBlockedList();
    if (!this.#el.settings.open) this.#el.settings.showModal();
  }

  #setMyProfile(profile) {
    if (!profile?.userID) return;
    this.#myProfile = profile;
    this.people.remember([profile]);
  }

  #fillProfileForm() {
    const profile = this.#myProfile ?? {};
    const form = this.#el.profileForm.elements;
    form.nick.value = profile.nick ?? '';
    form.selfSignature.value = profile.selfSignature ?? '';
    form.gender.value = profile.gender || TYPES.GENDER_UNKNOWN;
    form.birthday.value = birthdayInput(profile.birthday);
    this.#el.myUserID.textContent = this.#me;
    this.#renderMyAvatar();
  }

  #renderMyAvatar() {
    const profile = this.#myProfile ?? {};
    const name = profile.nick || this.#me;
    this.#el.myAvatarPreview.replaceChildren(
      avatarElement({userID: this.#me, name, url: profile.avatar}, 'large'),
    );
    this.#el.avatarRemove.hidden = !profile.avatar;
    const badge = this.#el.settingsOpen.querySelector('[data-testid="my-avatar"]');
    badge.replaceChildren(avatarElement({userID: this.#me, name, url: profile.avatar}, 'small'));
  }

  /** Save the fields that changed; nothing changed, nothing sent. */
  async #saveProfile() {
    const {gettext} = this.#i18n;
    const form = this.#el.profileForm.elements;
    const profile = this.#myProfile ?? {};
    const values = {
      nick: form.nick.value.trim(),
      selfSignature: form.selfSignature.value.trim(),
      gender: form.gender.value,
      birthday: birthdayNumber(form.birthday.value),
    };
    const changes = Object.fromEntries(
      Object.entries(values).filter(([key, value]) => value !== (profile[key] ?? '')),
    );
    this.#showProfileError('');
    if (!Object.keys(changes).length) {
      this.#el.profileSaved.textContent = gettext('Nothing changed.');
      return;
    }
    this.#el.profileSaved.textContent = gettext('Saving…');
    const ok = await this.#update(changes);
    this.#el.profileSaved.textContent = ok ? gettext('Saved.') : '';
  }

  /** Upload a picture as the avatar, with its progress (the SDK checks its type and size). */
  async #uploadAvatar(file) {
    this.#el.profileSaved.textContent = '';
    this.#showProfileError('');
    this.#setProgress(0);
    this.#el.avatarUpload.hidden = false;
    this.#el.avatarChoose.disabled = true;
    try {
      await this.#update({avatar: file, onProgress: (percent) => this.#setProgress(percent)});
    } finally {
      this.#el.avatarUpload.hidden = true;
      this.#el.avatarChoose.disabled = false;
    }
  }

  #setProgress(percent) {
    this.#el.avatarProgress.value = percent;
    this.#el.avatarPercent.textContent = `${Math.round(percent * 100)}%`;
  }

  async #update(changes) {
    if (!this.#tim) return false;
    try {
      const {data} = await this.#tim.updateMyProfile(changes);
      this.#setMyProfile(data);
      return true;
    } catch (error) {
      this.#showProfileError(profileErrorText(error, this.#i18n));
      return false;
    }
  }

  #showProfileError(text) {
    this.#el.profileError.textContent = text;
    this.#el.profileError.hidden = !text;
  }

  // --- events ---

  #peopleChanged(ids) {
    if (ids.includes(this.#me)) {
      // Another session of this account changed the profile: follow it.
      this.#myProfile = this.people.get(this.#me);
      this.#renderMyAvatar();
    }
    if (this.#el.profileDialog.open && ids.includes(this.#cardUserID)) this.#renderCard();
    if (this.#el.settings.open && ids.some((id) => this.isBlocked(id))) this.#renderBlockedList();
    this.#onChange();
  }

  #bind() {
    const el = this.#el;
    el.settingsOpen.addEventListener('click', () => this.openSettings());
    dismissable(el.settings);
    dismissable(el.profileDialog);
    el.profileForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#saveProfile();
    });
    el.avatarChoose.addEventListener('click', () => el.avatarInput.click());
    el.avatarInput.addEventListener('change', () => {
      const [file] = el.avatarInput.files;
      el.avatarInput.value = ''; // the same picture may be chosen again
      if (file) this.#uploadAvatar(file);
    });
    el.avatarRemove.addEventListener('click', () => this.#update({avatar: ''}));
    el.blockToggle.addEventListener('click', () => {
      if (!this.#peer) return;
      if (this.isBlocked(this.#peer)) this.unblock(this.#peer);
      else this.block(this.#peer);
    });
    el.blockedUnblock.addEventListener('click', () => this.#peer && this.unblock(this.#peer));
  }
}
