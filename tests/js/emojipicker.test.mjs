// The emoji picker's layout and memory (static/im/emojipicker.js): categories holding
// every face once, the recent row, and where each key moves in the grid.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {EMOJI} from '../../static/im/emoji.js';
import {
  MAX_RECENT,
  RECENT_KEY,
  categories,
  loadRecent,
  moveFrom,
  recentAfterUse,
  rowsOf,
  saveRecent,
} from '../../static/im/emojipicker.js';

test('the categories hold every face exactly once', () => {
  const all = categories().flatMap((c) => c.faces);
  assert.equal(all.length, EMOJI.length);
  assert.equal(new Set(all).size, EMOJI.length);
  assert.deepEqual(categories().map((c) => c.id), ['smileys', 'gestures', 'things', 'nature']);
});

test('recent: the last used first, each once, at most a row', () => {
  let recent = [];
  for (const token of ['[微笑]', '[强]', '[微笑]']) recent = recentAfterUse(recent, token);
  assert.deepEqual(recent, ['[微笑]', '[强]']);
  for (const face of EMOJI.slice(0, 20)) recent = recentAfterUse(recent, face.token);
  assert.equal(recent.length, MAX_RECENT);
  assert.equal(recent[0], EMOJI[19].token);
});

test('recent survives storage; junk in it is dropped', () => {
  const store = new Map();
  const storage = {getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v)};
  saveRecent(storage, ['[强]', '[微笑]']);
  assert.deepEqual(loadRecent(storage), ['[强]', '[微笑]']);
  store.set(RECENT_KEY, '["[强]", "<b>", 5, "[强]"]');
  assert.deepEqual(loadRecent(storage), ['[强]']);
  store.set(RECENT_KEY, '{not json');
  assert.deepEqual(loadRecent(storage), []);
  assert.deepEqual(loadRecent(undefined), []);
});

test('rows: each section in rows of eight', () => {
  assert.deepEqual(rowsOf([3, 10]), [
    {start: 0, length: 3},
    {start: 3, length: 8},
    {start: 11, length: 2},
  ]);
});

test('keys: left/right through all cells, up/down keep the column, Home/End', () => {
  const rows = rowsOf([3, 10]); // cells 0-2 | 3-10 | 11-12
  assert.equal(moveFrom(2, 'ArrowRight', rows), 3);
  assert.equal(moveFrom(3, 'ArrowLeft', rows), 2);
  assert.equal(moveFrom(0, 'ArrowLeft', rows), 0);
  assert.equal(moveFrom(12, 'ArrowRight', rows), 12);
  assert.equal(moveFrom(1, 'ArrowDown', rows), 4);
  assert.equal(moveFrom(9, 'ArrowDown', rows), 12, 'the nearest cell of a shorter row');
  assert.equal(moveFrom(9, 'ArrowUp', rows), 2);
  assert.equal(moveFrom(1, 'ArrowUp', rows), 1);
  assert.equal(moveFrom(12, 'ArrowDown', rows), 12);
  assert.equal(moveFrom(5, 'Home', rows), 3);
  assert.equal(moveFrom(5, 'End', rows), 10);
  assert.equal(moveFrom(5, 'End', rows, {ctrlKey: true}), 12);
  assert.equal(moveFrom(5, 'x', rows), null);
});
