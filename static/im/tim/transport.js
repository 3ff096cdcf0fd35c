import {ERROR, IMError} from './errors.js';
import {byteLength, isPlainObject} from './checks.js';

/**
 * The socket and request matching: one WebSocket at a time, requests numbered and
 * matched with their answers (or a timeout), pushes handed on, a heartbeat that
 * notices a dead connection. It knows nothing of sessions; its owner is told when
 * the socket goes and decides whether to reconnect.
 */

const REQUEST_TIMEOUT_MS = 15000;
const HEARTBEAT_MS = 30000;
// A heartbeat unanswered this long means a dead connection (protocol.md): reconnect.
const HEARTBEAT_TIMEOUT_MS = 10000;
const MAX_FRAME_BYTES = 65536; // the server's cap (protocol.md)

export class Transport {
  #url;
  #log;
  #hooks;
  #socket = null;
  #opening = null; // the promise of the socket being opened, while it is
  #nextRequestID = 1;
  #pending = new Map(); // request id → {op, socket, resolve, reject, timer}
  #heartbeatTimer = null;
  #refusal = null; // why the server refused this page's origin (a 4403 frame), if it did

  /**
   * @param {string} url
   * @param {Logger} log
   * @param {{onConnecting: function(): void, onGone: function(): void,
   *   onPush: function(string, *): void, onStrayError: function({code, message}): void,
   *   onLost: function(number): void}} hooks `onGone`: the socket is gone, on purpose or
   *   not; `onLost(closeCode)` then follows when it was not on purpose
   */
  constructor(url, log, hooks) {
    this.#url = url;
    this.#log = log;
    this.#hooks = hooks;
  }

  /** The current socket, as a token: compare it to tell whether the connection changed. */
  get socket() {
    return this.#socket;
  }

  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Open a socket unless one is open or opening; shared by callers that overlap. */
  open() {
    if (this.isOpen) return Promise.resolve();
    if (this.#opening) return this.#opening;
    const url = this.#url;
    const opening = new Promise((resolve, reject) => {
      let socket;
      try {
        socket = new WebSocket(url);
      } catch (error) {
        reject(new IMError(ERROR.REQUEST_FAILED, `cannot connect to ${url}: ${error.message}`));
        return;
      }
      this.#socket = socket;
      this.#hooks.onConnecting();
      socket.onopen = () => {
        resolve();
        if (this.#socket !== socket) return;
        this.#heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
      };
      socket.onmessage = (event) => {
        if (this.#socket === socket) this.#onFrame(event.data);
      };
      socket.onclose = (event) => {
        // No-op if the socket had opened; otherwise the connection attempt failed.
        reject(new IMError(ERROR.REQUEST_FAILED, `cannot connect to ${url}`));
        this.#onClosed(socket, event);
      };
    });
    const guarded = opening.finally(() => {
      if (this.#opening === guarded) this.#opening = null;
    });
    this.#opening = guarded;
    return guarded;
  }

  /** Close on purpose: clean up now, so the close handler neither repeats it nor reports a loss. */
  close() {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = null;
    this.#opening = null;
    this.#gone();
    socket.close(1000);
  }

  /**
   * Give up on a socket that stopped answering (or cannot be trusted): treat it as
   * closed now, without waiting for its close handshake, which a dead network never
   * completes. A socket that is no longer the current one is left alone.
   */
  drop(socket = this.#socket) {
    if (!socket || this.#socket !== socket) return;
    socket.close(4000);
    this.#onClosed(socket, {code: 4000});
  }

  /**
   * A heartbeat without an answer means a dead connection the browser has not
   * noticed yet; dropping it makes the owner reconnect now rather than much later.
   */
  heartbeat() {
    const socket = this.#socket;
    this.request('heartbeat', undefined, HEARTBEAT_TIMEOUT_MS).catch(() => {
      if (socket) this.drop(socket);
    });
  }

  /** Send one request; resolves with the answer's `data`, rejects with its code. */
  request(op, data, timeout = REQUEST_TIMEOUT_MS) {
    const socket = this.#socket;
    if (socket?.readyState !== WebSocket.OPEN) {
      return Promise.reject(new IMError(ERROR.REQUEST_FAILED, `not connected: ${op} not sent`));
    }
    const id = this.#nextRequestID++;
    const frame = JSON.stringify(data === undefined ? {id, op} : {id, op, data});
    const size = byteLength(frame);
    if (size > MAX_FRAME_BYTES) {
      const text = `${op} frame is ${size} bytes; the limit is ${MAX_FRAME_BYTES}`;
      return Promise.reject(new IMError(ERROR.FRAME_TOO_LARGE, text));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new IMError(ERROR.REQUEST_FAILED, `no answer to ${op} within ${timeout / 1000} s`));
      }, timeout);
      this.#pending.set(id, {op, socket, resolve, reject, timer});
      this.#log.debug('→', op === 'login' ? {id, op} : frame);
      socket.send(frame);
    });
  }

  #gone() {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
    this.#hooks.onGone();
  }

  #onClosed(socket, event) {
    // A page whose origin the server does not let in is told why in a frame first
    // (docs/protocol.md, close code 4403): its requests fail with that reason.
    const refused = event.code === ERROR.ORIGIN_REFUSED ? this.#refusal : null;
    for (const [id, entry] of this.#pending) {
      if (entry.socket !== socket) continue;
      this.#pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(
        refused
          ? new IMError(ERROR.ORIGIN_REFUSED, refused)
          : new IMError(ERROR.REQUEST_FAILED, `connection closed before the ${entry.op} answer`),
      );
    }
    if (this.#socket !== socket) return; // closed on purpose; already cleaned up
    this.#log.warn(`connection closed (code ${event.code})`);
    this.#socket = null;
    this.#gone();
    this.#hooks.onLost(event.code);
  }

  #onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.#log.warn('ignored a frame that is not JSON');
      return;
    }
    if (!isPlainObject(frame)) return;
    this.#log.debug('←', frame);
    if (typeof frame.event === 'string') {
      this.#hooks.onPush(frame.event, frame.data);
      return;
    }
    const entry = this.#pending.get(frame.id);
    if (!entry) {
      // An answer to no request of ours (the server could not read the frame).
      if (frame.code === ERROR.ORIGIN_REFUSED) this.#refusal = frame.message ?? 'origin refused';
      if (frame.code) this.#hooks.onStrayError({code: frame.code, message: frame.message ?? ''});
      return;
    }
    this.#pending.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.code === 0) entry.resolve(frame.data ?? {});
    else entry.reject(new IMError(frame.code, frame.message ?? ''));
  }
}

/**
 * The WebSocket URL of the Hutong server at `server` (its http(s) address, with any path
 * it is served under), or of the page's own host when there is none.
 * @param {string|undefined} server
 * @returns {string|null}
 */
export function socketURL(server) {
  if (server === undefined) {
    if (typeof location === 'undefined') return null;
    server = location.origin;
  }
  const url = new URL(server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws/im/`;
  url.search = url.hash = '';
  return url.href;
}
