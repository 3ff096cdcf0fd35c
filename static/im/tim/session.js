import {TYPES} from './constants.js';
import {ERROR} from './errors.js';

/**
 * The rules of a login session that do not need a socket: how a kick ends it, which
 * failed re-login ends it, how long to wait between reconnect attempts, and the
 * UserSig's deadline.
 */

export const NOT_LOGGED_IN_TEXT = 'not logged in: call login() and wait for SDK_READY';

// The server closes a kicked instance with this code, after its KICKED_OUT push.
export const CLOSE_KICKED_OUT = 4001;

// Reconnecting waits twice as long after each failed attempt, from 1 s up to 16 s,
// each wait drawn at random from the upper half of its range: pages that one
// server restart cut off together do not all come back in the same instant.
const RECONNECT_BASE_MS = 1000;
const RECONNECT_MAX_MS = 16000;
const MAX_TIMEOUT_MS = 2 ** 31 - 1; // setTimeout fires at once past this

// What a kick leaves behind: the code later calls reject with, and why. A kicked
// instance stays logged out until the page calls login() again.
const KICKS = {
  [TYPES.KICKED_OUT_MULT_ACCOUNT]: {
    code: ERROR.KICKED_OUT,
    text: 'kicked out by a login of this account on another page: log in again',
  },
  [TYPES.KICKED_OUT_MULT_DEVICE]: {
    code: ERROR.KICKED_OUT,
    text: 'kicked out by a login of this account on another device: log in again',
  },
  [TYPES.KICKED_OUT_USERSIG_EXPIRED]: {
    code: ERROR.SESSION_EXPIRED,
    text: 'the UserSig expired: log in again with a new one',
  },
  // TIM's native table has no code of its own for an operator's kick; 6014 is
  // "not logged in, or forced offline".
  [TYPES.KICKED_OUT_REST_API]: {
    code: ERROR.NOT_LOGGED_IN,
    text: 'signed out by the server (an operator kicked this account): log in again',
  },
};

/** The code and text a kick leaves for later calls; an unknown kind counts as a login elsewhere. */
export function kickOutcome(type) {
  return KICKS[type] ?? KICKS[TYPES.KICKED_OUT_MULT_ACCOUNT];
}

/**
 * Whether a failed login on reconnecting means the session is over. The sig or the
 * app being refused will not change by trying again; anything else (the network,
 * a server still starting, an internal error) might, so the SDK keeps trying.
 */
export function endsSession(code) {
  return (
    code === ERROR.SDKAPPID_DISABLED ||
    code === ERROR.ORIGIN_REFUSED ||
    (code >= 70000 && code < 70500)
  );
}

/** How long to wait before reconnect attempt `attempt` (0 for the first), in ms. */
export function reconnectDelay(attempt, random = Math.random) {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** A random name for one login() (crypto.getRandomValues works on plain http too). */
export function newInstanceID() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The backoff between reconnect attempts: one attempt waits at a time, each failure
 * makes the next wait longer, and a reason to hurry (the network is back) skips it.
 */
export class Backoff {
  #attempt = 0;
  #timer = null;

  /** Whether an attempt is waiting out its delay. */
  get waiting() {
    return this.#timer !== null;
  }

  /** Run `attempt` after the next delay, replacing a wait already scheduled. */
  schedule(attempt) {
    const delay = reconnectDelay(this.#attempt);
    this.#attempt += 1;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      attempt();
    }, delay);
  }

  /** Cut a waiting attempt's delay short: true if one was waiting (the caller runs it now). */
  hurry() {
    if (this.#timer === null) return false;
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#attempt = 0;
    return true;
  }

  /** Connected: the next drop starts again from the shortest wait. */
  reset() {
    this.#attempt = 0;
  }

  cancel() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#attempt = 0;
  }
}

/**
 * The UserSig's end: TIM's server kicks the session then; Hutong's SDK does it
 * itself. Deadlines past setTimeout's range are waited for in steps.
 */
export class Deadline {
  #timer = null;

  /** Call `due` at `deadline` (ms since the epoch), or now if it has passed. */
  arm(deadline, due) {
    clearTimeout(this.#timer);
    this.#timer = null;
    const wait = deadline - Date.now();
    if (wait <= 0) {
      due();
      return;
    }
    this.#timer = setTimeout(() => this.arm(deadline, due), Math.min(wait, MAX_TIMEOUT_MS));
  }

  cancel() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
