// The session's rules: kicks, which re-login failures end it, the reconnect backoff.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  Backoff,
  Deadline,
  endsSession,
  kickOutcome,
  reconnectDelay,
} from '../../static/im/tim/session.js';
import {ERROR} from '../../static/im/tim/errors.js';
import {TYPES} from '../../static/im/tim/constants.js';

test('reconnect waits double from 1 s to 16 s, in the upper half of each range', () => {
  const low = () => 0;
  const high = () => 0.999999;
  const waits = [0, 1, 2, 3, 4, 5, 40].map((attempt) => reconnectDelay(attempt, low));
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.ok(reconnectDelay(0, high) < 1000 && reconnectDelay(0, high) > 999);
  assert.ok(reconnectDelay(40, high) < 16000);
});

test('a refused sig or app ends the session; anything else is tried again', () => {
  const refused = [
    ERROR.USERSIG_EXPIRED,
    ERROR.USERSIG_BAD_SIGNATURE,
    ERROR.ACCOUNT_NOT_FOUND,
    ERROR.SDKAPPID_DISABLED,
  ];
  for (const code of refused) {
    assert.equal(endsSession(code), true, code);
  }
  for (const code of [ERROR.REQUEST_FAILED, ERROR.KICKED_OUT, 70500, 50000, ERROR.INVALID_JSON]) {
    assert.equal(endsSession(code), false, code);
  }
});

test('each kick leaves its code; an unknown kind counts as a login elsewhere', () => {
  assert.equal(kickOutcome(TYPES.KICKED_OUT_MULT_ACCOUNT).code, ERROR.KICKED_OUT);
  assert.equal(kickOutcome(TYPES.KICKED_OUT_MULT_DEVICE).code, ERROR.KICKED_OUT);
  assert.equal(kickOutcome(TYPES.KICKED_OUT_USERSIG_EXPIRED).code, ERROR.SESSION_EXPIRED);
  assert.equal(kickOutcome(TYPES.KICKED_OUT_REST_API).code, ERROR.NOT_LOGGED_IN);
  assert.deepEqual(kickOutcome('somethingNew'), kickOutcome(TYPES.KICKED_OUT_MULT_ACCOUNT));
});

test('the backoff grows per failed attempt, and hurrying or resetting starts it over', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  t.mock.method(Math, 'random', () => 0);
  const backoff = new Backoff();
  let attempts = 0;
  const attempt = () => attempts++;
  backoff.schedule(attempt);
  assert.equal(backoff.waiting, true);
  t.mock.timers.tick(499);
  assert.equal(attempts, 0);
  t.mock.timers.tick(1);
  assert.equal(attempts, 1);
  assert.equal(backoff.waiting, false);
  backoff.schedule(attempt); // the second attempt waits 1 s
  t.mock.timers.tick(999);
  assert.equal(attempts, 1);
  assert.equal(backoff.hurry(), true, 'the network is back: go now');
  assert.equal(backoff.hurry(), false);
  t.mock.timers.tick(10000);
  assert.equal(attempts, 1, 'the hurried wait does not fire as well');
  backoff.schedule(attempt); // after hurry: from the shortest wait again
  t.mock.timers.tick(500);
  assert.equal(attempts, 2);
  backoff.schedule(attempt);
  backoff.cancel();
  t.mock.timers.tick(60000);
  assert.equal(attempts, 2);
});

test('the sig deadline fires at its time, or at once when it has passed', (t) => {
  t.mock.timers.enable({apis: ['setTimeout', 'Date'], now: 1_000_000});
  const deadline = new Deadline();
  let due = 0;
  deadline.arm(Date.now() + 5000, () => due++);
  t.mock.timers.tick(4999);
  assert.equal(due, 0);
  t.mock.timers.tick(1);
  assert.equal(due, 1);
  deadline.arm(Date.now() - 1, () => due++);
  assert.equal(due, 2);
  deadline.arm(Date.now() + 10, () => due++);
  deadline.cancel();
  t.mock.timers.tick(100);
  assert.equal(due, 2);
});
