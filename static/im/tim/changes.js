/**
 * Gap tracking. The server numbers each conversation's changes (a new message, a
 * recall) 1, 2, 3... and pushes them; a push can be lost (Redis restarting) or
 * overtaken (the answer to this connection's own send arriving before another
 * member's push). Per conversation this keeps `seen`, the end of the unbroken run
 * applied here, and `ahead`, later changes that came early. A gap that outlasts
 * the grace period is a lost push: `onGap` is told, and the SDK fetches what the
 * run misses with syncMessages.
 */

// Long enough for an overtaken push to land; short enough that a lost one is
// fetched before anyone waits for it.
export const GAP_GRACE_MS = 1000;

export class ChangeTracker {
  #onGap;
  #graceMs;
  #runs = new Map(); // conversationID → {seen, ahead: Set}
  #timers = new Map(); // conversationID → the timer of a gap check

  /**
   * @param {function(string): void} onGap called with a conversationID whose gap
   *   stayed open for `graceMs`
   * @param {number} [graceMs]
   */
  constructor(onGap, graceMs = GAP_GRACE_MS) {
    this.#onGap = onGap;
    this.#graceMs = graceMs;
  }

  /** Whether this conversation's changes are followed here at all. */
  follows(id) {
    return this.#runs.has(id);
  }

  /** The last change of the unbroken run (what syncMessages should start after), or 0. */
  seen(id) {
    return this.#runs.get(id)?.seen ?? 0;
  }

  /** Whether changes after the run arrived while one before them is missing. */
  hasGap(id) {
    return Boolean(this.#runs.get(id)?.ahead.size);
  }

  /** Start following a conversation whose changes up to `seen` need no fetching. */
  follow(id, seen) {
    this.#runs.set(id, {seen, ahead: new Set()});
  }

  /**
   * Record that change number `change` has been applied (a push, or an answer). The
   * first one seen of a conversation starts its run: what came before it is
   * history, getMessageList's business.
   */
  note(id, change) {
    if (!Number.isInteger(change) || change <= 0) return;
    const run = this.#runs.get(id);
    if (!run) {
      this.follow(id, change);
      return;
    }
    if (change <= run.seen) return;
    run.ahead.add(change);
    closeRun(run);
    if (run.ahead.size && !this.#timers.has(id)) {
      const timer = setTimeout(() => {
        this.#timers.delete(id);
        if (this.hasGap(id)) this.#onGap(id);
      }, this.#graceMs);
      this.#timers.set(id, timer);
    }
  }

  /**
   * The server's conversation list says a conversation's latest change is `latest`.
   * Returns whether changes are missing here and must be fetched.
   * @param {{recent?: number}} [options] `recent`: the conversation began while this
   *   instance was away (a reconnect), so its last `recent` changes are news to
   *   fetch; otherwise a conversation new here starts at `latest`
   */
  learn(id, latest, {recent} = {}) {
    if (!Number.isInteger(latest)) return false;
    const run = this.#runs.get(id);
    if (run) return latest > run.seen;
    if (recent === undefined) {
      this.follow(id, latest);
      return false;
    }
    this.follow(id, Math.max(0, latest - recent));
    return latest > 0;
  }

  /** A fetch brought every change up to `upTo`: the run reaches at least there. */
  caughtUp(id, upTo) {
    const run = this.#runs.get(id) ?? {seen: 0, ahead: new Set()};
    run.seen = Math.max(run.seen, upTo);
    closeRun(run);
    this.#runs.set(id, run);
  }

  /** Stop following a conversation (a group this account left). */
  forget(id) {
    this.#runs.delete(id);
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  clear() {
    this.#runs.clear();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** Extend the run over the early changes that now follow it without a hole. */
function closeRun(run) {
  for (const change of run.ahead) if (change <= run.seen) run.ahead.delete(change);
  while (run.ahead.delete(run.seen + 1)) run.seen += 1;
}
