/**
 * TIM's throttle for list announcements (the conversation list, the group list):
 * changes in a burst become one announcement, `delayMs` after the first of them,
 * carrying the state after the last. A caller that needs the announcement now
 * (SDK_READY, a reconnect reporting 'connected') flushes instead of waiting.
 */
export class Throttle {
  #delayMs;
  #run;
  #timer = null;

  /**
   * @param {number} delayMs
   * @param {function(): void} run the announcement; it reads the state when it runs
   */
  constructor(delayMs, run) {
    this.#delayMs = delayMs;
    this.#run = run;
  }

  /** Something changed: announce within `delayMs`, once for the whole burst. */
  schedule() {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => this.flush(), this.#delayMs);
  }

  /** Announce now; a scheduled announcement is then not needed. */
  flush() {
    this.cancel();
    this.#run();
  }

  /** Drop a scheduled announcement (the session ended: there is nothing to announce). */
  cancel() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  get pending() {
    return this.#timer !== null;
  }
}
