// The drain runs on the main thread that also answers requests: flat out it took about three
// quarters of a core, and a read arriving at a random moment waited behind its work (another
// tenant's read p99 2.9× during a backfill, issue #27). While requests are being served, the drain
// keeps to a share of the main thread: after each round it pauses so that the round's busy time is
// at most `share` of the round and its pause together. With no request in flight and none in the
// last `quietMs`, it does not pause, so an idle gateway drains at full speed. The pause never
// passes a drain's deadline (drainRounds clamps it), so a Workers cron drain still ends in time.

/** The share of the main thread a drain takes while requests are served, unless told otherwise. */
export const defaultDrainShare = 0.25;

interface LoopUtilization {
  readonly idle: number;
  readonly active: number;
  readonly utilization: number;
}

// Node's (perf_hooks on the global performance); Workers have none, and so no pacing.
const loopUtilization = (performance as { eventLoopUtilization?: (since?: LoopUtilization) => LoopUtilization }).eventLoopUtilization;

// A pause is bounded whatever a round cost, so a slow round never stops the drain for long.
const maxPauseMs = 1_000;

export class DrainPace {
  readonly share: number;
  readonly #quietMs: number;
  #inFlight = 0;
  #lastRequest = Number.NEGATIVE_INFINITY;
  /** Rounds followed by a pause because requests were being served, and the pauses' total (ms). */
  paused = 0;
  pausedMs = 0;

  /** `share` in (0, 1]; 1 never pauses. */
  constructor(share: number, options: { readonly quietMs?: number } = {}) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`drain share must be in (0, 1], got ${share}`);
    this.share = share;
    this.#quietMs = options.quietMs ?? 1_000;
  }

  requestStarted(): void {
    this.#inFlight++;
    this.#lastRequest = performance.now();
  }

  requestEnded(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#lastRequest = performance.now();
  }

  /** Whether requests are being served: one is in flight, or one ended within the quiet time. */
  serving(): boolean {
    return this.#inFlight > 0 || performance.now() - this.#lastRequest < this.#quietMs;
  }

  /** Resolves after the I/O waiting now (a request's bytes among it) had its turn on the main thread. */
  turn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Starts measuring one round's main-thread time (event-loop utilization, which counts only the
   * time the loop was busy, not the waits for the provider); the function returned gives the pause
   * (ms) to take after the round.
   */
  round(): () => number {
    if (this.share >= 1) return () => 0;
    const utilization = loopUtilization;
    if (!utilization) return () => 0;
    const start = utilization.call(performance);
    return () => {
      if (!this.serving()) return 0;
      const busy = utilization.call(performance, start).active;
      const pause = Math.min(maxPauseMs, (busy * (1 - this.share)) / this.share);
      if (pause > 0) {
        this.paused++;
        this.pausedMs += pause;
      }
      return pause;
    };
  }
}

/**
 * The pacing of a drain given `percent` (CUSTGATE_OUTBOX_SHARE): none at 100, and none where the
 * runtime cannot tell the main thread's busy time (Workers: each request and cron is its own
 * invocation, and its drain is bounded by its deadline instead).
 */
export function pacedDrain(percent: number): { readonly pace?: DrainPace } {
  if (percent >= 100 || loopUtilization === undefined) return {};
  return { pace: new DrainPace(percent / 100) };
}
