// The classic-script SDK (`make sdk`: esbuild's bundle of tim-global.js) is the same TIM
// as the ES module, on the page's global object.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import vm from 'node:vm';
import TIM from '../../static/im/tim.js';

const BUNDLE = new URL('../../static/im/dist/tim.global.js', import.meta.url);

test('the classic script defines window.TIM with the module\'s API and constants', () => {
  let code;
  try {
    code = readFileSync(BUNDLE, 'utf8');
  } catch {
    assert.fail('static/im/dist/tim.global.js is missing: run `make sdk`');
  }
  const page = {console, addEventListener() {}};
  page.window = page;
  vm.runInNewContext(code, page, {filename: 'tim.global.js'});
  const global = page.TIM;
  assert.equal(typeof global?.create, 'function');
  assert.deepEqual({...global.EVENT}, {...TIM.EVENT});
  assert.deepEqual({...global.TYPES}, {...TIM.TYPES});
  assert.deepEqual({...global.ERROR}, {...TIM.ERROR});
  const instance = global.create({SDKAppID: 1400000001, proxyServer: 'ws://127.0.0.1:9/ws/im/'});
  const methods = (obj) => Object.getOwnPropertyNames(Object.getPrototypeOf(obj)).sort();
  const own = TIM.create({SDKAppID: 1400000002, proxyServer: 'ws://127.0.0.1:9/ws/im/'});
  assert.deepEqual(methods(instance), methods(own));
});
