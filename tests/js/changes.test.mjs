// Gap tracking: which of a conversation's numbered changes are held, and when a
// missing one counts as lost.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {ChangeTracker, GAP_GRACE_MS} from '../../static/im/tim/changes.js';

function tracker(t) {
  t.mock.timers.enable({apis: ['setTimeout']});
  const gaps = [];
  return {changes: new ChangeTracker((id) => gaps.push(id)), gaps};
}

test('the first change seen of a conversation starts its run', (t) => {
  const {changes} = tracker(t);
  assert.equal(changes.follows('C2Cbob'), false);
  changes.note('C2Cbob', 7);
  assert.equal(changes.follows('C2Cbob'), true);
  assert.equal(changes.seen('C2Cbob'), 7);
  assert.equal(changes.hasGap('C2Cbob'), false);
});

test('changes in order extend the run; repeats and old ones change nothing', (t) => {
  const {changes, gaps} = tracker(t);
  changes.note('C2Cbob', 1);
  changes.note('C2Cbob', 2);
  changes.note('C2Cbob', 2);
  changes.note('C2Cbob', 1);
  changes.note('C2Cbob', 3);
  assert.equal(changes.seen('C2Cbob'), 3);
  t.mock.timers.tick(GAP_GRACE_MS * 2);
  assert.deepEqual(gaps, []);
});

test('numbers that are not positive integers are ignored', (t) => {
  const {changes} = tracker(t);
  for (const bad of [undefined, null, 0, -1, 1.5, '2']) changes.note('C2Cbob', bad);
  assert.equal(changes.follows('C2Cbob'), false);
});

test('an overtaken change that lands within the grace period closes the gap quietly', (t) => {
  const {changes, gaps} = tracker(t);
  changes.note('GROUPg', 1);
  changes.note('GROUPg', 3);
  assert.equal(changes.hasGap('GROUPg'), true);
  assert.equal(changes.seen('GROUPg'), 1);
  t.mock.timers.tick(GAP_GRACE_MS - 1);
  changes.note('GROUPg', 2);
  assert.equal(changes.seen('GROUPg'), 3);
  assert.equal(changes.hasGap('GROUPg'), false);
  t.mock.timers.tick(1);
  assert.deepEqual(gaps, []);
});

test('a gap that outlasts the grace period is reported once, for its conversation', (t) => {
  const {changes, gaps} = tracker(t);
  changes.note('GROUPg', 1);
  changes.note('GROUPg', 4);
  changes.note('GROUPg', 5); // a second early change does not start a second timer
  changes.note('C2Cbob', 9);
  t.mock.timers.tick(GAP_GRACE_MS);
  assert.deepEqual(gaps, ['GROUPg']);
  assert.equal(changes.seen('GROUPg'), 1);
  t.mock.timers.tick(GAP_GRACE_MS * 3);
  assert.deepEqual(gaps, ['GROUPg']);
});

test('a catch-up moves the run past what it fetched and absorbs early changes after it', (t) => {
  const {changes, gaps} = tracker(t);
  changes.note('GROUPg', 1);
  changes.note('GROUPg', 4);
  changes.note('GROUPg', 6);
  changes.caughtUp('GROUPg', 3);
  assert.equal(changes.seen('GROUPg'), 4); // 2 and 3 fetched, 4 was already here
  assert.equal(changes.hasGap('GROUPg'), true); // 5 is still missing
  changes.caughtUp('GROUPg', 5);
  assert.equal(changes.seen('GROUPg'), 6);
  assert.equal(changes.hasGap('GROUPg'), false);
  t.mock.timers.tick(GAP_GRACE_MS);
  assert.deepEqual(gaps, [], 'the gap had closed when the check ran');
});

test('a catch-up never moves the run backwards, and starts one for a new conversation', (t) => {
  const {changes} = tracker(t);
  changes.note('C2Cbob', 10);
  changes.caughtUp('C2Cbob', 4);
  assert.equal(changes.seen('C2Cbob'), 10);
  changes.caughtUp('C2Ccarol', 2);
  assert.equal(changes.seen('C2Ccarol'), 2);
});

test('the server list: a followed conversation is behind when it misses changes', (t) => {
  const {changes} = tracker(t);
  changes.note('C2Cbob', 5);
  assert.equal(changes.learn('C2Cbob', 5), false);
  assert.equal(changes.learn('C2Cbob', 8), true);
  assert.equal(changes.seen('C2Cbob'), 5, 'learning does not mark anything as held');
  assert.equal(changes.learn('C2Cbob', undefined), false);
});

test('the server list: a conversation new here starts at its latest change', (t) => {
  const {changes} = tracker(t);
  assert.equal(changes.learn('C2Cbob', 12), false);
  assert.equal(changes.seen('C2Cbob'), 12);
});

test('after a reconnect a new conversation fetches its recent changes, at most `recent`', (t) => {
  const {changes} = tracker(t);
  assert.equal(changes.learn('C2Cbob', 3, {recent: 100}), true);
  assert.equal(changes.seen('C2Cbob'), 0);
  assert.equal(changes.learn('C2Ccarol', 250, {recent: 100}), true);
  assert.equal(changes.seen('C2Ccarol'), 150);
  assert.equal(changes.learn('C2Cdave', 0, {recent: 100}), false);
  assert.equal(changes.follows('C2Cdave'), true);
});

test('follow starts a run where the caller says (a group just joined: from 0)', (t) => {
  const {changes} = tracker(t);
  changes.follow('GROUPg', 0);
  changes.note('GROUPg', 2);
  assert.equal(changes.seen('GROUPg'), 0);
  assert.equal(changes.hasGap('GROUPg'), true);
});

test('clear forgets every run and cancels pending gap checks', (t) => {
  const {changes, gaps} = tracker(t);
  changes.note('GROUPg', 1);
  changes.note('GROUPg', 3);
  changes.clear();
  t.mock.timers.tick(GAP_GRACE_MS);
  assert.deepEqual(gaps, []);
  assert.equal(changes.follows('GROUPg'), false);
});
