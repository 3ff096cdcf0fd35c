// TIM.ERROR: every code named once, and the server's numbers as im/errors.py has them.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import TIM from '../../static/im/tim.js';
import {ERROR} from '../../static/im/tim/errors.js';

const errorsPy = readFileSync(new URL('../../im/errors.py', import.meta.url), 'utf8');
const serverCodes = Object.fromEntries(
  [...errorsPy.matchAll(/^([A-Z_0-9]+) = (\d+)/gm)].map(([, name, code]) => [name, Number(code)]),
);

test('the SDK exports the one frozen table as TIM.ERROR', () => {
  assert.equal(TIM.ERROR, ERROR);
  assert.ok(Object.isFrozen(TIM.ERROR));
  assert.equal(TIM.ERROR.NOT_LOGGED_IN, 6014);
  assert.equal(TIM.ERROR.KICKED_OUT, 6208);
  assert.equal(TIM.ERROR.MESSAGE_TOO_LONG, 80002);
});

test('every server code is there under the server\'s name and number', () => {
  assert.ok(Object.keys(serverCodes).length > 20, 'im/errors.py was read');
  for (const [name, code] of Object.entries(serverCodes)) {
    // The server's "already logged in" is the SDK's "operation in progress": one number, one name.
    const sdkName = name === 'ALREADY_LOGGED_IN' ? 'IN_PROGRESS' : name;
    assert.equal(ERROR[sdkName], code, name);
  }
});

test('no two names share a number', () => {
  const codes = Object.values(ERROR);
  assert.equal(new Set(codes).size, codes.length);
});
