// A stand-in for the Hutong server behind a fake WebSocket, so the SDK facade can be
// driven in Node: each op is answered by a handler of the test's, and the test pushes.
import TIM from '../../static/im/tim.js';

export class FakeServer {
  sockets = [];
  requests = []; // {op, data} in the order the SDK sent them
  handlers = {
    login: (data) => ({userID: data.userID, tinyID: '7', nick: '', avatar: '', serverTime: 1}),
    getConversationList: () => ({conversationList: [], isSyncCompleted: true}),
    getGroupList: () => ({groupList: []}),
    logout: () => ({}),
  };

  constructor() {
    const server = this;
    globalThis.WebSocket = class {
      static OPEN = 1;
      readyState = 0;
      constructor(url) {
        this.url = url;
        server.sockets.push(this);
        queueMicrotask(() => {
          this.readyState = 1;
          this.onopen?.();
        });
      }
      send(frame) {
        server.#answer(this, JSON.parse(frame));
      }
      close(code = 1000) {
        this.readyState = 3;
        queueMicrotask(() => this.onclose?.({code}));
      }
    };
  }

  get socket() {
    return this.sockets.at(-1);
  }

  /** Send a push to the SDK's current socket. */
  push(event, data) {
    this.socket.onmessage({data: JSON.stringify({event, data})});
  }

  /** The data of the requests made with `op`. */
  sent(op) {
    return this.requests.filter((r) => r.op === op).map((r) => r.data);
  }

  #answer(socket, {id, op, data}) {
    this.requests.push({op, data});
    const handler = this.handlers[op];
    queueMicrotask(() => {
      let frame;
      try {
        if (!handler) throw Object.assign(new Error(`no handler for ${op}`), {code: 60002});
        frame = {id, code: 0, data: handler(data ?? {})};
      } catch (error) {
        frame = {id, code: error.code ?? 70500, message: error.message};
      }
      socket.onmessage?.({data: JSON.stringify(frame)});
      if (op === 'login' && frame.code === 0) {
        // A frame of its own, as in a browser: the login answer is handled first.
        setTimeout(() => socket.onmessage?.({data: JSON.stringify({event: 'SDK_READY', data: null})}));
      }
    });
  }
}

/** A failure the handler throws: the server's answer with `code`. */
export function serverError(code, message = '') {
  return Object.assign(new Error(message), {code});
}

/** Resolve after pending microtasks and timers of up to `ms` have run. */
export function settle(ms = 0) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A TIM instance logged in as alice over the fake server and past SDK_READY, every
 * event it emits recorded.
 * @returns {Promise<{tim, events: {name, data}[], named: function(string): {name, data}[]}>}
 */
export async function readyTIM(SDKAppID, proxyServer = 'ws://hutong.test:8000/ws/im/') {
  const tim = TIM.create({SDKAppID, proxyServer});
  tim.setLogLevel(4);
  const events = [];
  for (const name of Object.values(TIM.EVENT)) tim.on(name, ({data}) => events.push({name, data}));
  const isReady = new Promise((resolve) => tim.once(TIM.EVENT.SDK_READY, resolve));
  await tim.login({userID: 'alice', userSig: 'sig'});
  await isReady;
  return {tim, events, named: (name) => events.filter((e) => e.name === name)};
}

/**
 * createUpload and finishUpload as the server answers them (uuids u1, u2, ...; the
 * file system default's relative PUT link), with `finished(uuid)` extra fields of
 * the finished upload.
 */
export function fakeUploads(server, finished = () => ({})) {
  let n = 0;
  server.handlers.createUpload = (data) => ({
    ...data,
    uuid: `u${++n}`,
    isReady: false,
    expiresAt: 2e9,
    upload: {method: 'PUT', url: `/im/uploads/?t=${n}`, headers: {'Content-Type': data.contentType}},
  });
  server.handlers.finishUpload = ({uuid}) => ({uuid, isReady: true, ...finished(uuid)});
}
