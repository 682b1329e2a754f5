import type { WindowLimit } from '../config.ts';

// Fixed-window counters in memory, per process (per isolate on Workers). A library such as
// hono-rate-limiter works as middleware on the response status; these limits must count only
// failed authentications and answer in the envelope of the dialect that owns the request, both
// known only inside the pipeline, so the counting is done here in a few lines instead.

interface Window {
  count: number;
  readonly resetAt: number;
}

export class RateLimiter {
  readonly #limit: WindowLimit;
  readonly #windows = new Map<string, Window>();
  // Bounded: a flood of distinct keys clears the oldest windows instead of growing without end.
  readonly #maxKeys: number;

  constructor(limit: WindowLimit, maxKeys = 100_000) {
    this.#limit = limit;
    this.#maxKeys = maxKeys;
  }

  get enabled(): boolean {
    return this.#limit.max > 0;
  }

  /** Seconds until the key may act again, or 0 when it is under its limit. */
  blockedFor(key: string, now: number): number {
    if (!this.enabled) return 0;
    const window = this.#windows.get(key);
    if (!window || window.resetAt <= now || window.count < this.#limit.max) return 0;
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
  }

  /** Counts one event for the key. */
  hit(key: string, now: number): void {
    if (!this.enabled) return;
    const window = this.#windows.get(key);
    if (window && window.resetAt > now) {
      window.count++;
      return;
    }
    if (window) this.#windows.delete(key);
    if (this.#windows.size >= this.#maxKeys) {
      for (const [k, w] of this.#windows) {
        if (w.resetAt <= now || this.#windows.size >= this.#maxKeys) this.#windows.delete(k);
        if (this.#windows.size < this.#maxKeys / 2) break;
      }
    }
    this.#windows.set(key, { count: 1, resetAt: now + this.#limit.windowMs });
  }

  /** Counts one event and answers as blockedFor would after it (a per-request limit). */
  take(key: string, now: number): number {
    const blocked = this.blockedFor(key, now);
    if (blocked > 0) return blocked;
    this.hit(key, now);
    return 0;
  }
}
