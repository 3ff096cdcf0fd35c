// The one throttle behind CONVERSATION_LIST_UPDATED and GROUP_LIST_UPDATED.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Throttle} from '../../static/im/tim/throttle.js';

function throttle(t, delay = 200) {
  t.mock.timers.enable({apis: ['setTimeout']});
  const runs = [];
  let state = 0;
  const th = new Throttle(delay, () => runs.push(state));
  return {th, runs, set: (value) => (state = value)};
}

test('a burst of changes is one announcement, delay after the first, with the last state', (t) => {
  const {th, runs, set} = throttle(t);
  set(1);
  th.schedule();
  t.mock.timers.tick(150);
  set(2);
  th.schedule();
  assert.equal(th.pending, true);
  assert.deepEqual(runs, []);
  t.mock.timers.tick(50);
  assert.deepEqual(runs, [2]);
  assert.equal(th.pending, false);
  t.mock.timers.tick(1000);
  assert.deepEqual(runs, [2]);
});

test('a change after an announcement schedules the next one', (t) => {
  const {th, runs, set} = throttle(t);
  th.schedule();
  t.mock.timers.tick(200);
  set(5);
  th.schedule();
  t.mock.timers.tick(199);
  assert.deepEqual(runs, [0]);
  t.mock.timers.tick(1);
  assert.deepEqual(runs, [0, 5]);
});

test('flush announces at once and takes the place of the scheduled one', (t) => {
  const {th, runs, set} = throttle(t);
  th.schedule();
  set(3);
  th.flush();
  assert.deepEqual(runs, [3]);
  t.mock.timers.tick(1000);
  assert.deepEqual(runs, [3]);
});

test('flush with nothing scheduled still announces', (t) => {
  const {th, runs} = throttle(t);
  th.flush();
  assert.deepEqual(runs, [0]);
});

test('cancel drops the scheduled announcement', (t) => {
  const {th, runs} = throttle(t);
  th.schedule();
  th.cancel();
  assert.equal(th.pending, false);
  t.mock.timers.tick(1000);
  assert.deepEqual(runs, []);
});
