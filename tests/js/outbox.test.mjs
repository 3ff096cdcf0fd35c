// The outbox: messages waiting for the connection, the ones that fail, and resends.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Outbox} from '../../static/im/tim/outbox.js';
import {ERROR, IMError} from '../../static/im/tim/errors.js';

const message = (text) => ({ID: text, payload: {text}, status: 'unSend'});
const settled = (promise) =>
  promise.then(
    (value) => ({value}),
    (error) => ({error}),
  );

test('waiting messages go out oldest first, one at a time, resolving as sendMessage', async () => {
  const outbox = new Outbox();
  const [a, b] = [message('a'), message('b')];
  const results = [outbox.add(a), outbox.add(b)];
  assert.equal(outbox.size, 2);
  const sent = [];
  let inFlight = 0;
  await outbox.flush({
    canSend: () => true,
    send: async (m) => {
      inFlight += 1;
      assert.equal(inFlight, 1, 'one at a time');
      await new Promise((resolve) => setImmediate(resolve));
      sent.push(m.ID);
      m.status = 'success';
      inFlight -= 1;
    },
    keep: () => false,
  });
  assert.deepEqual(sent, ['a', 'b']);
  assert.equal(outbox.size, 0);
  assert.deepEqual(await results[0], {code: 0, data: {message: a}});
  assert.deepEqual(await results[1], {code: 0, data: {message: b}});
});

test('nothing goes while the connection cannot send', async () => {
  const outbox = new Outbox();
  outbox.add(message('a'));
  let calls = 0;
  await outbox.flush({canSend: () => false, send: async () => calls++, keep: () => false});
  assert.equal(calls, 0);
  assert.equal(outbox.size, 1);
});

test('a refusal fails that message with its code, and the next one still goes', async () => {
  const outbox = new Outbox();
  const [big, ok] = [message('big'), message('ok')];
  const results = [settled(outbox.add(big)), settled(outbox.add(ok))];
  await outbox.flush({
    canSend: () => true,
    send: async (m) => {
      if (m === big) throw new IMError(ERROR.MESSAGE_TOO_LONG, 'too long');
    },
    keep: (error) => error.code === ERROR.REQUEST_FAILED,
  });
  const failed = (await results[0]).error;
  assert.ok(failed instanceof IMError);
  assert.equal(failed.code, ERROR.MESSAGE_TOO_LONG);
  assert.equal(failed.message, 'too long');
  assert.equal(failed.data.message, big);
  assert.equal(big.status, 'fail');
  assert.deepEqual((await results[1]).value, {code: 0, data: {message: ok}});
});

test('a connection failure keeps the message first in line for the next flush', async () => {
  const outbox = new Outbox();
  const [a, b] = [message('a'), message('b')];
  const results = [outbox.add(a), outbox.add(b)];
  const attempts = [];
  let up = false;
  const io = {
    canSend: () => true,
    send: async (m) => {
      attempts.push(m.ID);
      if (!up) throw new IMError(ERROR.REQUEST_FAILED, 'connection closed');
    },
    keep: (error) => error.code === ERROR.REQUEST_FAILED,
  };
  await outbox.flush(io);
  assert.deepEqual(attempts, ['a'], 'stops at the failure: b must not overtake a');
  assert.equal(outbox.size, 2);
  assert.equal(a.status, 'unSend');
  up = true;
  await outbox.flush(io);
  assert.deepEqual(attempts, ['a', 'a', 'b']);
  assert.equal((await results[0]).data.message, a);
  assert.equal((await results[1]).data.message, b);
});

test('only one flush runs at a time', async () => {
  const outbox = new Outbox();
  outbox.add(message('a'));
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let sends = 0;
  const io = {canSend: () => true, send: () => (sends++, gate), keep: () => false};
  const first = outbox.flush(io);
  await outbox.flush(io); // returns at once: the first is still sending
  assert.equal(sends, 1);
  release();
  await first;
  assert.equal(outbox.size, 0);
});

test('the end of the session fails every waiting message', async () => {
  const outbox = new Outbox();
  const [a, b] = [message('a'), message('b')];
  const results = [settled(outbox.add(a)), settled(outbox.add(b))];
  outbox.failAll(ERROR.REQUEST_FAILED, 'the session ended');
  assert.equal(outbox.size, 0);
  for (const [i, m] of [a, b].entries()) {
    const {error} = await results[i];
    assert.equal(error.code, ERROR.REQUEST_FAILED);
    assert.equal(error.data.message, m);
    assert.equal(m.status, 'fail');
  }
});

test('a message failed in flight is not shifted twice; a resend queued then goes', async () => {
  const outbox = new Outbox();
  const [a, b] = [message('a'), message('b')];
  const first = settled(outbox.add(a));
  let release;
  const sent = [];
  const io = {
    canSend: () => true,
    send: (m) => {
      sent.push(m.ID);
      return m === a ? new Promise((resolve) => (release = resolve)) : Promise.resolve();
    },
    keep: () => false,
  };
  const flushing = outbox.flush(io);
  outbox.failAll(ERROR.REQUEST_FAILED, 'ended'); // a is in flight
  const second = outbox.add(b); // a resend after a new login
  assert.equal(outbox.size, 1);
  release();
  await flushing;
  const late = (await first).error.code;
  assert.equal(late, ERROR.REQUEST_FAILED, 'the late answer does not undo the failure');
  assert.deepEqual(sent, ['a', 'b'], 'b was not dropped in place of a');
  assert.equal((await second).data.message, b);
  assert.equal(outbox.size, 0);
});
