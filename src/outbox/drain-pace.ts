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
// A round's busy time is the drain's own, not the requests': the loop's busy time over a round
// counts every request served meanwhile too, and at a steady write rate that made the webhook queue
// (an event per update) pause for the requests' work as well as its own, fall behind the writes and
// stay behind (commit-to-delivery p99 4.0 s at 200 updates/s, 7.7 s at 500). So the pace learns
// what the loop spends per request while no round runs (between rounds, and in their pauses), and
// takes the requests that ended during a round out of that round's busy time.
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

// A window between rounds says what a request costs only with enough requests in it. The loop's
// other work in a window (timers, GC, a test runner's messages) only ever adds to it, so the
// estimate is the least of the last few windows': too high, it would let a backlog's rounds go
// unpaced; too low errs towards the requests.
const minWindowRequests = 8;
const windowsKept = 8;

export class DrainPace implements RequestWatch {
  readonly share: number;
  readonly signal: ServingSignal;
  readonly #quietMs: number;
  #restUntil = 0;
  // Requests this thread served (the serving thread's pace only: another thread's never run here).
  #ended = 0;
  // Rounds of this pace's drains running now; while none runs, the loop's busy time is the requests'.
  #rounds = 0;
  #between: Mark | undefined;
  // Rounds that overlap (the webhook queue keeps four in flight) must be charged for their common
  // span once, not once each: a round that ends is charged from the earliest start of the rounds in
  // flight, or from where the last charge ended if that is later, up to now.
  readonly #inFlight = new Set<Mark>();
  #chargedTo: Mark | undefined;
  readonly #windows: number[] = [];
  #perRequestMs: number | undefined;

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
    this.#ended++;
    this.signal.ended();
  }

  /** The loop's busy time per request, measured while no round ran (ms); undefined until measured. */
  get perRequestMs(): number | undefined {
    return this.#perRequestMs;
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
   * (ms) to take after the round: 0 when no request is being served by then. It is called once
   * when the round ends, whatever its outcome (a round that found nothing to send included): until
   * then the loop's busy time is not counted as the requests'. `charged` (0 to 1, default 1) is the
   * part of the round's work the share applies to: the rest kept pace with what arrived meanwhile
   * (`ArrivalCredit`).
   */
  round(): (charged?: number) => number {
    if (this.share >= 1) return () => 0;
    const utilization = loopUtilization;
    if (!utilization) return () => 0;
    if (this.#rounds++ === 0) this.#closeWindow(utilization);
    const started: Mark = { at: utilization.call(performance), ended: this.#ended };
    this.#inFlight.add(started);
    let done = false;
    return (charged = 1) => {
      if (done) return 0;
      done = true;
      const now = utilization.call(performance);
      if (--this.#rounds === 0) this.#between = { at: now, ended: this.#ended };
      // The set keeps insertion order: its first is the earliest start in flight.
      const earliest = this.#inFlight.values().next().value ?? started;
      this.#inFlight.delete(started);
      const chargedTo = this.#chargedTo;
      const from = chargedTo && loopTime(chargedTo.at) > loopTime(earliest.at) ? chargedTo : earliest;
      this.#chargedTo = { at: now, ended: this.#ended };
      if (!this.serving()) return 0;
      const busy = utilization.call(performance, from.at).active;
      // Until a window between rounds has measured a request, the round is charged for all of it.
      const requests = (this.#ended - from.ended) * (this.#perRequestMs ?? 0);
      const own = Math.max(0, busy - requests) * Math.min(1, Math.max(0, charged));
      return Math.min(maxPauseMs, (own * (1 - this.share)) / this.share);
    };
  }

  /** Ends the window since the last round, learning from it what the loop spends per request. */
  #closeWindow(utilization: NonNullable<typeof loopUtilization>): void {
    const window = this.#between;
    this.#between = undefined;
    if (!window) return;
    const requests = this.#ended - window.ended;
    if (requests < minWindowRequests) return;
    const perRequest = utilization.call(performance, window.at).active / requests;
    this.#windows.push(perRequest);
    if (this.#windows.length > windowsKept) this.#windows.shift();
    this.#perRequestMs = Math.min(...this.#windows);
  }
}

/** A reading of the loop's time and of the requests ended so far. */
interface Mark {
  readonly at: LoopUtilization;
  readonly ended: number;
}

// The loop's time so far (busy and idle): it only grows, so it orders two readings.
const loopTime = (u: LoopUtilization): number => u.active + u.idle;

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

// How long arrivals stay credited: a row queued longer ago than this is a backlog, not the flow.
const arrivalFreshMs = 1_000;
// A burst of arrivals is credited up to this many rows (four rounds of 128: what a queue has in flight).
const maxArrivalCredit = 512;

/**
 * The rows a queue is given while it drains, so that its pace is charged only for the catch-up: a
 * queue fed at a steady rate (the webhook queue: an event per update) must keep up with that rate,
 * or it falls further behind with every pause and stays behind while the writes go on (its events'
 * commit-to-delivery p99 was seconds at 200 updates/s). A round's rows up to the credit are that flow
 * and cost no pause; the rest, a backlog, keep to the share. The credit lapses when nothing arrived
 * for a second, so rows queued before a drain started (a backlog after an outage) are all charged.
 */
export class ArrivalCredit {
  readonly #now: () => number;
  #credit = 0;
  #lastArrival = Number.NEGATIVE_INFINITY;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** `rows` were queued just now. */
  arrived(rows: number): void {
    if (!(rows > 0)) return;
    this.#lapse();
    this.#credit = Math.min(maxArrivalCredit, this.#credit + rows);
    this.#lastArrival = this.#now();
  }

  /** Of a round of `rows`, how many the credit covers (taken from it). */
  take(rows: number): number {
    this.#lapse();
    const covered = Math.min(Math.max(0, rows), this.#credit);
    this.#credit -= covered;
    return covered;
  }

  #lapse(): void {
    if (this.#now() - this.#lastArrival > arrivalFreshMs) this.#credit = 0;
  }
}
