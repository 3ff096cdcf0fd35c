// The chat page's @mention logic (static/im/mentions.js): what "@" is typing, who it
// offers, what it inserts, the atUserList sent, and the row's flag.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  AT_ALL,
  atUserListOf,
  candidates,
  insertMention,
  mentionFlagText,
  mentionQuery,
  splitMentions,
} from '../../static/im/mentions.js';

const i18n = {gettext: (s) => ({'[@me]': '[有人@我]', '[@all]': '[@所有人]'})[s] ?? s};
const members = [
  {userID: 'alice', nick: 'Alice', nameCard: ''},
  {userID: 'bob', nick: 'Bob', nameCard: '老王'},
  {userID: 'carol', nick: '', nameCard: ''},
];

test('mentionQuery: an @ at the start or after a space, up to the caret', () => {
  assert.deepEqual(mentionQuery('@', 1), {start: 0, query: ''});
  assert.deepEqual(mentionQuery('hi @bo', 6), {start: 3, query: 'bo'});
  assert.deepEqual(mentionQuery('hi @bo there', 6), {start: 3, query: 'bo'});
  assert.equal(mentionQuery('mail a@b', 8), null, 'an address is not a mention');
  assert.equal(mentionQuery('hi @bob there', 13), null, 'a space ended it');
  assert.equal(mentionQuery('hi', 2), null);
});

test('candidates: @all first for managers, members by card, nick or ID, never oneself', () => {
  const opts = {self: 'alice', canAtAll: true, allLabel: '所有人'};
  assert.deepEqual(
    candidates(members, '', opts).map((c) => [c.userID, c.label]),
    [[AT_ALL, '所有人'], ['bob', '老王'], ['carol', 'carol']],
  );
  assert.deepEqual(candidates(members, 'BO', opts).map((c) => c.userID), ['bob']);
  assert.deepEqual(candidates(members, '老', opts).map((c) => c.userID), ['bob']);
  assert.deepEqual(candidates(members, 'al', opts).map((c) => c.userID), [AT_ALL]);
  const member = {...opts, canAtAll: false};
  assert.deepEqual(candidates(members, '', member).map((c) => c.userID), ['bob', 'carol']);
});

test('insertMention replaces what was typed and puts the caret after a space', () => {
  assert.deepEqual(insertMention('hi @bo!', 3, 6, 'Bob'), {text: 'hi @Bob !', caret: 8});
});

test('atUserListOf keeps the picked people still named in the text', () => {
  const picked = new Map([['Bob', 'bob'], ['carol', 'carol'], ['所有人', AT_ALL]]);
  assert.deepEqual(atUserListOf('@Bob and @所有人', picked), ['bob', AT_ALL]);
  assert.deepEqual(atUserListOf('nobody', picked), []);
});

test('splitMentions finds @words, not addresses', () => {
  assert.deepEqual(splitMentions('@bob hi a@b @所有人'), [
    {mention: '@bob'},
    {text: ' hi a@b '},
    {mention: '@所有人'},
  ]);
});

test('the row flag: [@me] when one names this account, else [@all]', () => {
  const info = (t) => ({atTypeArray: [t]});
  assert.equal(mentionFlagText([], i18n), '');
  assert.equal(mentionFlagText([info(2)], i18n), '[@所有人]');
  assert.equal(mentionFlagText([info(2), info(1)], i18n), '[有人@我]');
  assert.equal(mentionFlagText([info(3)], i18n), '[有人@我]');
});
