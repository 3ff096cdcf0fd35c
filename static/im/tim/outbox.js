import {IMError} from './errors.js';

/**
 * Messages sent while the connection is down (or still catching up), oldest first.
 * They go out one at a time, in the order they were written, so the server numbers
 * them in that order. A dropped connection only delays them; only the end of the
 * session fails them (TIM's rule for a message that could not go out).
 */
export class Outbox {
  #entries = []; // [{message, resolve, reject}]
  #flushing = false;

  get size() {
    return this.#entries.length;
  }

  /**
   * Queue a message; the promise settles as `sendMessage`'s does once it has gone
   * out (or failed).
   * @returns {Promise<{code: 0, data: {message: Object}}>}
   */
  add(message) {
    return new Promise((resolve, reject) => this.#entries.push({message, resolve, reject}));
  }

  /**
   * Send what waits, oldest first, while `canSend()` says the connection is usable.
   * A refusal fails that message and the next goes; an error that `keep(error)`
   * blames on the connection leaves the message first in line and stops, for the
   * next flush after a reconnect. One flush runs at a time.
   * @param {{canSend: function(): boolean, send: function(Object): Promise<void>,
   *   keep: function(Error): boolean}} io
   */
  async flush({canSend, send, keep}) {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#entries.length && canSend()) {
        const entry = this.#entries[0];
        try {
          await send(entry.message);
        } catch (error) {
          if (keep(error)) break;
          this.#shift(entry);
          entry.message.status = 'fail';
          entry.reject(new IMError(error.code, error.message, {message: entry.message}));
          continue;
        }
        this.#shift(entry);
        entry.resolve({code: 0, data: {message: entry.message}});
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** The session ended: every waiting message fails with `code`. */
  failAll(code, text) {
    for (const {message, reject} of this.#entries.splice(0)) {
      message.status = 'fail';
      reject(new IMError(code, text, {message}));
    }
  }

  // failAll may have emptied the queue while the entry was in flight.
  #shift(entry) {
    if (this.#entries[0] === entry) this.#entries.shift();
  }
}
