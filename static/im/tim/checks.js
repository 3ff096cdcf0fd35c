/** Argument checks shared by the SDK's methods. */

/** TIM's rule for a bad argument: a synchronous throw, with the culprit on the console. */
export function invalidParam(log, name, expected) {
  log.error(`${name} must be ${expected}`);
  return new Error('Params validate failed.');
}

export function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The size of `text` on the wire, which is what the server's frame cap counts. */
export function byteLength(text) {
  return new TextEncoder().encode(text).length;
}
