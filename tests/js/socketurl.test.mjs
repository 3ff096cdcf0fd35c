// TIM.create's `server`: where the socket of a Hutong server at an http(s) address is.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import TIM from '../../static/im/tim.js';
import {socketURL} from '../../static/im/tim/transport.js';

test('an http(s) address becomes its ws(s) socket, under any path it is served at', () => {
  assert.equal(socketURL('https://im.example.com'), 'wss://im.example.com/ws/im/');
  assert.equal(socketURL('http://127.0.0.1:8000/'), 'ws://127.0.0.1:8000/ws/im/');
  assert.equal(socketURL('https://example.com/hutong/'), 'wss://example.com/hutong/ws/im/');
  assert.equal(socketURL('https://IM.example.com:8443/x?y#z'), 'wss://im.example.com:8443/x/ws/im/');
});

test('without a server, the page\'s own host; outside a page, none', () => {
  assert.equal(socketURL(undefined), null);
  globalThis.location = new URL('https://chat.example.org/some/page');
  try {
    assert.equal(socketURL(undefined), 'wss://chat.example.org/ws/im/');
  } finally {
    delete globalThis.location;
  }
});

test('TIM.create refuses a server that is no http(s) address', () => {
  for (const server of ['im.example.com', 'wss://im.example.com', 42, '']) {
    assert.throws(() => TIM.create({SDKAppID: 1400000055, server}), /Params validate failed/);
  }
  assert.ok(TIM.create({SDKAppID: 1400000056, server: 'https://im.example.com'}));
});
