// Tencent's unmodified tim-js-sdk (npm, 2.27.6) in Node, as the contract tests drive it:
// the browser globals it looks for, `ws` as its WebSocket, and a fresh copy of the
// module per user (TIM.create keeps one instance per SDKAppID in the module).
import { createRequire } from 'node:module';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
const stored = new Map();

globalThis.window = globalThis;
globalThis.WebSocket = WebSocket;
globalThis.addEventListener ??= () => {};
globalThis.removeEventListener ??= () => {};
if (!globalThis.navigator) {
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Node', onLine: true, language: 'en' },
    configurable: true,
  });
}
// What the SDK reads of a page: the charset, to count a message's bytes.
globalThis.document ??= { charset: 'UTF-8', characterSet: 'UTF-8' };
globalThis.localStorage ??= {
  getItem: (key) => (stored.has(key) ? stored.get(key) : null),
  setItem: (key, value) => stored.set(key, String(value)),
  removeItem: (key) => stored.delete(key),
  clear: () => stored.clear(),
  key: (i) => [...stored.keys()][i] ?? null,
  get length() { return stored.size; },
};

// The SDK leaves some of its internal promises unhandled when a call is refused (a
// kicked instance's own follow-ups): a browser logs them; Node would exit.
export const unhandled = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason && reason.code !== undefined ? reason.code : String(reason));
});

/** A fresh copy of the SDK module: its own TIM.create singleton. */
export function loadTIM() {
  delete require.cache[require.resolve('tim-js-sdk')];
  return require('tim-js-sdk');
}

/** One user's SDK: created against `proxyServer`, its events kept in order. */
export class User {
  /** `TIM`: another SDK with TIM's API to drive the same way (Hutong's own tim.js). */
  constructor(userID, { SDKAppID, proxyServer, userSig, devMode = false, TIM = loadTIM() }) {
    this.TIM = TIM;
    this.userID = userID;
    this.userSig = userSig;
    this.tim = this.TIM.create({ SDKAppID, proxyServer, devMode });
    this.tim.setLogLevel(4);
    this.events = [];
    this.waiters = [];
    for (const name of Object.values(this.TIM.EVENT)) {
      this.tim.on(name, (event) => {
        this.events.push({ name, data: event.data });
        this.waiters = this.waiters.filter((w) => !w.take(name, event.data));
      });
    }
  }

  /** The next event `name` (one already seen and not yet taken counts) matching `test`. */
  next(name, test = () => true, timeout = 10000) {
    const index = this.events.findIndex((e) => e.name === name && !e.taken && test(e.data));
    if (index >= 0) {
      this.events[index].taken = true;
      return Promise.resolve(this.events[index].data);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.userID}: no ${name} in ${timeout} ms`)), timeout);
      this.waiters.push({
        take: (seen, data) => {
          if (seen !== name || !test(data)) return false;
          const event = this.events.findLast((e) => e.name === name && e.data === data);
          if (event) event.taken = true;
          clearTimeout(timer);
          resolve(data);
          return true;
        },
      });
    });
  }

  async login() {
    const ready = this.next(this.TIM.EVENT.SDK_READY);
    const result = await this.tim.login({ userID: this.userID, userSig: this.userSig });
    await ready;
    return result;
  }
}

/** `userID`'s SDK as a scenario's `config` sets it up (`overrides`: another server or sig). */
export function userOf(config, userID, overrides = {}) {
  return new User(userID, {
    SDKAppID: config.sdkappid,
    proxyServer: config.proxyServer,
    userSig: config.sigs[userID],
    devMode: Boolean(config.devMode),
    ...overrides,
  });
}

/** Run `scenario` with a fact log; print the facts as JSON (the pytest side asserts). */
export async function run(scenario) {
  const config = JSON.parse(process.argv[2]);
  const facts = {};
  const record = (name, value) => { facts[name] = value; };
  try {
    await scenario(config, record);
    record('unhandledRejections', unhandled);
    process.stdout.write(`${JSON.stringify({ ok: true, facts })}\n`);
    process.exit(0);
  } catch (error) {
    const detail = error && (error.stack || JSON.stringify(error));
    process.stdout.write(`${JSON.stringify({ ok: false, facts, error: String(detail) })}\n`);
    process.exit(1);
  }
}

/** Print `STEP <name>` and wait until the test has done it (a `done` line on stdin). */
export function step(name) {
  process.stdout.write(`STEP ${name}\n`);
  return new Promise((resolve) => {
    const onData = (chunk) => {
      if (String(chunk).includes('done')) {
        process.stdin.off('data', onData);
        process.stdin.pause();
        resolve();
      }
    };
    process.stdin.resume();
    process.stdin.on('data', onData);
  });
}
