/**
 * The composer's emoji picker: emoji.js's faces in categories, the recently used ones
 * first (kept in localStorage), and an ARIA grid moved through with the arrow keys.
 *
 * One cell at a time is in the tab order (a roving tabindex), so Tab leaves the grid;
 * Enter or Space inserts, Escape closes and gives the composer its focus back. The
 * layout arithmetic and the recent list are plain functions, tested in Node.
 */
import {EMOJI} from './emoji.js';

/** Cells per row: the grid's CSS columns (chat.css `.emoji-grid-row`). */
export const COLUMNS = 8;
/** Faces kept in the recently used row. */
export const MAX_RECENT = COLUMNS;
export const RECENT_KEY = 'hutong.emoji.recent';

// Categories by token; a face listed in none goes to the last.
const GROUPS = [
  ['smileys', ['微笑', '呲牙', '大笑', '偷笑', '可爱', '害羞', '色', '亲亲', '得意', '调皮', '憨笑',
    '尴尬', '发呆', '疑问', '惊讶', '惊恐', '流汗', '流泪', '大哭', '委屈', '难过', '撇嘴', '白眼',
    '傲慢', '鄙视', '阴险', '生气', '咒骂', '困', '睡', '晕', '衰', '吐', '嘘', '骷髅', '便便', '猪头']],
  ['gestures', ['奋斗', '再见', '鼓掌', '强', '弱', '握手', '胜利', '抱拳', '拳头', 'OK', '拥抱']],
  ['things', ['爱心', '心碎', '玫瑰', '凋谢', '咖啡', '啤酒', '蛋糕', '西瓜', '礼物', '红包', '炸弹',
    '敲打']],
  ['nature', ['下雨', '闪电', '太阳', '月亮']],
];

/** The categories' names in the page's language. */
export function categoryLabels({gettext}) {
  return {
    recent: gettext('Recently used'),
    smileys: gettext('Smileys'),
    gestures: gettext('Gestures'),
    things: gettext('Things'),
    nature: gettext('Nature'),
  };
}

/** The faces by category, in picker order: [{id, faces}]. */
export function categories() {
  const byName = new Map(EMOJI.map((face) => [face.token.slice(1, -1), face]));
  const placed = new Set();
  const result = GROUPS.map(([id, names]) => {
    const faces = names.map((name) => byName.get(name)).filter(Boolean);
    faces.forEach((face) => placed.add(face));
    return {id, faces};
  });
  result.at(-1).faces.push(...EMOJI.filter((face) => !placed.has(face)));
  return result;
}

/** The recent tokens after `token` was used: it first, each once, MAX_RECENT at most. */
export function recentAfterUse(recent, token) {
  return [token, ...recent.filter((t) => t !== token)].slice(0, MAX_RECENT);
}

/** The recent tokens stored in `storage`; anything not a known token is dropped. */
export function loadRecent(storage) {
  let stored;
  try {
    stored = JSON.parse(storage?.getItem(RECENT_KEY) ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(stored)) return [];
  const known = new Set(EMOJI.map((face) => face.token));
  return [...new Set(stored.filter((t) => known.has(t)))].slice(0, MAX_RECENT);
}

export function saveRecent(storage, recent) {
  try {
    storage?.setItem(RECENT_KEY, JSON.stringify(recent));
  } catch {
    // Storage full or refused (a private window): the row is this page's only.
  }
}

/**
 * Split sections of `counts` cells into rows of COLUMNS: [{start, length}], `start`
 * counting cells across all sections.
 */
export function rowsOf(counts, columns = COLUMNS) {
  const rows = [];
  let start = 0;
  for (const count of counts) {
    for (let at = 0; at < count; at += columns) {
      rows.push({start: start + at, length: Math.min(columns, count - at)});
    }
    start += count;
  }
  return rows;
}

/**
 * The cell a key moves to from cell `index` in `rows` (see rowsOf), or null for a
 * key the grid does not handle. Left and Right run through every cell in order; Up
 * and Down keep the column (the nearest cell of a shorter row); Home and End go to
 * the row's ends, with Ctrl to the grid's.
 */
export function moveFrom(index, key, rows, {ctrlKey = false} = {}) {
  const r = rows.findIndex((row) => index >= row.start && index < row.start + row.length);
  if (r < 0) return null;
  const row = rows[r];
  const last = rows.at(-1).start + rows.at(-1).length - 1;
  const column = index - row.start;
  const inRow = (other) => other.start + Math.min(column, other.length - 1);
  switch (key) {
    case 'ArrowRight':
      return Math.min(index + 1, last);
    case 'ArrowLeft':
      return Math.max(index - 1, 0);
    case 'ArrowDown':
      return r + 1 < rows.length ? inRow(rows[r + 1]) : index;
    case 'ArrowUp':
      return r > 0 ? inRow(rows[r - 1]) : index;
    case 'Home':
      return ctrlKey ? 0 : row.start;
    case 'End':
      return ctrlKey ? last : row.start + row.length - 1;
    default:
      return null;
  }
}

/**
 * The picker in `container` (the grid), opened and closed by `button`, inserting with
 * `onPick(token)`; `composer` gets the focus back on Escape.
 */
export class EmojiPicker {
  #container;
  #button;
  #composer;
  #onPick;
  #i18n;
  #storage;
  #recent;
  #cells = [];
  #rows = [];
  #active = 0;

  constructor({container, button, composer, onPick, i18n, storage = globalThis.localStorage}) {
    this.#container = container;
    this.#button = button;
    this.#composer = composer;
    this.#onPick = onPick;
    this.#i18n = i18n;
    this.#storage = storage;
    this.#recent = loadRecent(storage);
    container.setAttribute('role', 'grid');
    container.addEventListener('keydown', (event) => this.#onKey(event));
    this.#build();
  }

  get isOpen() {
    return !this.#container.hidden;
  }

  open() {
    this.#build(); // the recent row as it is now
    this.#container.hidden = false;
    this.#button.setAttribute('aria-expanded', 'true');
    this.#focus(0);
  }

  close({returnFocus = false} = {}) {
    if (!this.isOpen) return;
    this.#container.hidden = true;
    this.#button.setAttribute('aria-expanded', 'false');
    if (returnFocus) this.#composer.focus();
  }

  toggle() {
    if (this.isOpen) this.close();
    else this.open();
  }

  /** A face was inserted (from here or elsewhere): it leads the recent row. */
  noteUsed(token) {
    this.#recent = recentAfterUse(this.#recent, token);
    saveRecent(this.#storage, this.#recent);
  }

  #build() {
    const labels = categoryLabels(this.#i18n);
    const byToken = new Map(EMOJI.map((face) => [face.token, face]));
    const sections = [
      {id: 'recent', faces: this.#recent.map((t) => byToken.get(t)).filter(Boolean)},
      ...categories(),
    ].filter((section) => section.faces.length);
    this.#cells = [];
    const groups = sections.map((section) => this.#section(section, labels[section.id]));
    this.#rows = rowsOf(sections.map((section) => section.faces.length));
    this.#container.replaceChildren(...groups);
    this.#active = 0;
    this.#cells.forEach((cell, i) => (cell.tabIndex = i === 0 ? 0 : -1));
  }

  #section({id, faces}, label) {
    const group = document.createElement('div');
    group.className = 'emoji-category';
    group.setAttribute('role', 'rowgroup');
    group.dataset.category = id;
    group.dataset.testid = `emoji-category-${id}`;
    const heading = document.createElement('div');
    heading.className = 'emoji-category-name';
    heading.setAttribute('role', 'row');
    const title = document.createElement('span');
    title.setAttribute('role', 'columnheader');
    title.id = `emoji-category-${id}`;
    title.textContent = label;
    heading.append(title);
    group.setAttribute('aria-labelledby', title.id);
    group.append(heading);
    for (let at = 0; at < faces.length; at += COLUMNS) {
      const row = document.createElement('div');
      row.className = 'emoji-grid-row';
      row.setAttribute('role', 'row');
      row.append(...faces.slice(at, at + COLUMNS).map((face) => this.#cell(face)));
      group.append(row);
    }
    return group;
  }

  #cell(face) {
    const cell = document.createElement('span');
    const index = this.#cells.length;
    cell.className = 'emoji-option';
    cell.dataset.testid = 'emoji-option';
    cell.dataset.token = face.token;
    cell.setAttribute('role', 'gridcell');
    cell.setAttribute('aria-label', face.token.slice(1, -1));
    cell.title = face.token;
    cell.textContent = face.emoji;
    cell.addEventListener('click', () => this.#pick(face.token));
    cell.addEventListener('focus', () => this.#setActive(index));
    this.#cells.push(cell);
    return cell;
  }

  #setActive(index) {
    this.#cells[this.#active]?.setAttribute('tabindex', '-1');
    this.#active = index;
    this.#cells[index].setAttribute('tabindex', '0');
  }

  #focus(index) {
    if (!this.#cells.length) return;
    this.#setActive(index);
    this.#cells[index].focus();
  }

  #pick(token) {
    this.noteUsed(token);
    this.close();
    this.#onPick(token);
  }

  #onKey(event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      this.close({returnFocus: true});
      return;
    }
    if (event.key === 'Tab') {
      this.close(); // the focus moves on as Tab does
      return;
    }
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.#pick(this.#cells[this.#active].dataset.token);
      return;
    }
    const next = moveFrom(this.#active, event.key, this.#rows, {ctrlKey: event.ctrlKey});
    if (next === null) return;
    event.preventDefault();
    this.#focus(next);
  }
}
