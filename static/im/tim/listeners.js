import {invalidParam} from './checks.js';

/** The handlers behind `on`, `once` and `off`, and the emission to them. */
export class Listeners {
  #log;
  #byName = new Map(); // event name → [{handler, ctx, once}]

  constructor(log) {
    this.#log = log;
  }

  add(name, handler, ctx, once) {
    this.#check(name, handler);
    if (!this.#byName.has(name)) this.#byName.set(name, []);
    this.#byName.get(name).push({handler, ctx, once});
  }

  /** Without `ctx` (or `once`), removes the handler whatever its context (or kind). */
  remove(name, handler, ctx, once) {
    this.#check(name, handler);
    const kept = (this.#byName.get(name) ?? []).filter(
      (l) =>
        l.handler !== handler ||
        (ctx !== undefined && l.ctx !== ctx) ||
        (once !== undefined && l.once !== once),
    );
    this.#byName.set(name, kept);
  }

  emit(name, data) {
    const listeners = this.#byName.get(name);
    if (!listeners?.length) return;
    this.#byName.set(name, listeners.filter((l) => !l.once));
    for (const {handler, ctx} of listeners) {
      // One failing handler must not stop the others, nor the SDK's own bookkeeping.
      try {
        handler.call(ctx, {name, data});
      } catch (error) {
        this.#log.error(`a handler of ${name} threw`, error);
      }
    }
  }

  #check(name, handler) {
    if (typeof name !== 'string' || !name) throw invalidParam(this.#log, 'name', 'an event name');
    if (typeof handler !== 'function') throw invalidParam(this.#log, 'handler', 'a function');
  }
}
