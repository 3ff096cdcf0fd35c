// Assertions shared by the node tests.
import assert from 'node:assert/strict';
import {IMError} from '../../static/im/tim/errors.js';

/** The code of the IMError `run` throws; fails the test if it throws nothing or something else. */
export function codeOf(run) {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof IMError, error);
    return error.code;
  }
  assert.fail('no error');
}
