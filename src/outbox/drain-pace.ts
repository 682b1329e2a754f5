// The drains run on the main thread that also answers requests: flat out the outbox's took about
// three quarters of a core, and a read arriving at a random moment waited behind its work (another
// tenant's read p99 2.9× during a backfill, issue #27). While requests are being served, a drain
// keeps to a share of the main thread: after each round it pauses so that the round's busy time is
// at most `share` of the round and its pause together. With no request in flight and none in the
// last `quietMs`, it does not pause, so an idle gateway drains at full speed. The pause never
// passes a drain's deadline (drainRounds clamps it), so a Workers cron drain still ends in time.
//
// One pace per gateway, shared by both queues (the outbox and the webhooks): it knows whether
// requests are being served, told by the in-flight middleware (src/http/in-flight.ts), and until when
// the drains rest: a pause one queue's drain takes holds the other's next round too, so the two
// together keep to the share instead of taking it each. What a drain paused is counted by the drain
// itself (drainRounds), never here.

/** The share of the main thread a drain takes while requests are served, unless told otherwise. */
export const defaultDrainShare = 0.25;

/** How long after the last request a gateway counts as idle, its drains no longer paced (ms). */
export const defaultQuietMs = 1_000;

interface LoopUtilization {
  readonly idle: number;
  readonly active: number;
  readonly utilization: number;
}

// Node's (perf_hooks on the global performance); Workers have none, and so no pacing.
const loopUtilization = (performance as { eventLoopUtilization?: (since?: LoopUtilization) => LoopUtilization }).eventLoopUtilization;

// A pause is bounded whatever a round cost, so a slow round never stops the drain for long.
const maxPauseMs = 1_000;

/** What the HTTP layer tells the pace: every request it serves, with a client address or without. */
export interface RequestWatch {
  requestStarted(): void;
  requestEnded(): void;
}

export class DrainPace implements RequestWatch {
  readonly share: number;
  readonly #quietMs: number;
  #inFlight = 0;
  #lastRequest = Number.NEGATIVE_INFINITY;
  #restUntil = 0;

  /** `share` in (0, 1]; 1 never pauses. */
  constructor(share: number, options: { readonly quietMs?: number } = {}) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`drain share must be in (0, 1], got ${share}`);
    this.share = share;
    this.#quietMs = options.quietMs ?? defaultQuietMs;
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

  /** Until when (epoch ms) every drain of the gateway rests before its next round. */
  get restUntil(): number {
    return this.#restUntil;
  }

  /** Holds every drain's next round until `until` (epoch ms), unless a longer rest is already taken. */
  rest(until: number): void {
    if (until > this.#restUntil) this.#restUntil = until;
  }

  /**
   * Starts measuring one round's main-thread time (event-loop utilization, which counts only the
   * time the loop was busy, not the waits for the receiver); the function returned gives the pause
   * (ms) to take after the round: 0 when no request is being served by then.
   */
  round(): () => number {
    if (this.share >= 1) return () => 0;
    const utilization = loopUtilization;
    if (!utilization) return () => 0;
    const start = utilization.call(performance);
    return () => {
      if (!this.serving()) return 0;
      const busy = utilization.call(performance, start).active;
      return Math.min(maxPauseMs, (busy * (1 - this.share)) / this.share);
    };
  }
}

/**
 * The pacing of a gateway's drains given `percent` (CUSTGATE_OUTBOX_SHARE): none at 100, and none
 * where the runtime cannot tell the main thread's busy time (Workers: each request and cron is its
 * own invocation, and its drain is bounded by its deadline instead).
 */
export function pacedDrain(percent: number): { readonly pace?: DrainPace } {
  if (percent >= 100 || loopUtilization === undefined) return {};
  return { pace: new DrainPace(percent / 100) };
}
