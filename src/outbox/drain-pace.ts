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
//
// On Node the outbox's drain runs in a thread of its own (src/entries/delivery-thread.ts): the main
// thread counts its requests into shared memory (`ServingSignal`) and the delivery thread's pace
// reads them there, measuring the busy time of its own loop, so that share is of the delivery
// thread, and the two threads' drains no longer hold each other's rounds.

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

/**
 * The requests in flight and when the last one started or ended, in memory the threads of a process
 * share: written by the thread that serves them, read by the one that drains.
 */
export class ServingSignal {
  readonly buffer: SharedArrayBuffer;
  // [0] requests in flight; [1] the last one's start or end, in ms since `#base`.
  readonly #counts: Int32Array;
  readonly #base: number;

  /** A new signal, or (in the draining thread) the serving thread's, by its buffer. */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(16);
    this.#counts = new Int32Array(this.buffer, 0, 2);
    const base = new Float64Array(this.buffer, 8, 1);
    if (!buffer) {
      base[0] = epochMs();
      // Never: the first quiet time has long passed.
      this.#counts[1] = -(2 ** 30);
    }
    this.#base = base[0] ?? 0;
  }

  started(): void {
    Atomics.add(this.#counts, 0, 1);
    Atomics.store(this.#counts, 1, epochMs() - this.#base);
  }

  ended(): void {
    if (Atomics.sub(this.#counts, 0, 1) <= 0) Atomics.store(this.#counts, 0, 0);
    Atomics.store(this.#counts, 1, epochMs() - this.#base);
  }

  /** One is in flight, or one started or ended within `quietMs`. */
  serving(quietMs: number): boolean {
    return Atomics.load(this.#counts, 0) > 0 || epochMs() - this.#base - Atomics.load(this.#counts, 1) < quietMs;
  }
}

// Comparable across the threads of a process (each has its own performance.timeOrigin).
const epochMs = (): number => performance.timeOrigin + performance.now();

export class DrainPace implements RequestWatch {
  readonly share: number;
  readonly signal: ServingSignal;
  readonly #quietMs: number;
  #restUntil = 0;

  /** `share` in (0, 1]; 1 never pauses. `signal`: another thread's requests (the delivery thread's pace). */
  constructor(share: number, options: { readonly quietMs?: number; readonly signal?: ServingSignal } = {}) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`drain share must be in (0, 1], got ${share}`);
    this.share = share;
    this.#quietMs = options.quietMs ?? defaultQuietMs;
    this.signal = options.signal ?? new ServingSignal();
  }

  requestStarted(): void {
    this.signal.started();
  }

  requestEnded(): void {
    this.signal.ended();
  }

  /** Whether requests are being served: one is in flight, or one ended within the quiet time. */
  serving(): boolean {
    return this.signal.serving(this.#quietMs);
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
export function pacedDrain(percent: number, signal?: ServingSignal): { readonly pace?: DrainPace } {
  if (loopUtilization === undefined) return {};
  // With a signal the pace also counts the requests for the delivery thread's pace, so it exists
  // at 100 too (a share of 1 never pauses): CUSTGATE_OUTBOX_SHARE=100 must not unpace that thread.
  if (percent >= 100 && !signal) return {};
  return { pace: new DrainPace(Math.min(percent, 100) / 100, signal ? { signal } : {}) };
}
