import { describe, expect, it } from 'vitest';
import { ArrivalCredit, DrainPace, pacedDrain, ServingSignal } from './drain-pace.ts';

// The delivery thread's pace (src/entries/delivery-thread.ts) reads the requests the main thread
// counts, through the signal's shared memory: a signal made from another's buffer sees its counts.
describe('ServingSignal', () => {
  it("tells the thread that drains of the serving thread's requests, and of their end after the quiet time", async () => {
    const served = new DrainPace(0.25, { quietMs: 50 });
    const drained = new DrainPace(0.1, { quietMs: 50, signal: new ServingSignal(served.signal.buffer) });
    expect(drained.serving()).toBe(false);
    served.requestStarted();
    served.requestStarted();
    expect(drained.serving()).toBe(true);
    served.requestEnded();
    served.requestEnded();
    // Ended just now: still serving within the quiet time, not after it.
    expect(drained.serving()).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect(drained.serving()).toBe(false);
    // More ends than starts never make the count negative: a request in flight long past the quiet
    // time still counts.
    served.requestEnded();
    served.requestStarted();
    await new Promise((r) => setTimeout(r, 80));
    expect(drained.serving()).toBe(true);
  });

  it("still counts the serving thread's requests when its own drains are unpaced (share 100)", () => {
    const signal = new ServingSignal();
    const { pace } = pacedDrain(100, signal);
    expect(pace).toBeDefined();
    pace!.requestStarted();
    expect(new ServingSignal(signal.buffer).serving(50)).toBe(true);
    // A share of 1 never pauses its own drain.
    expect(pace!.round()()).toBe(0);
    expect(pacedDrain(100)).toEqual({});
  });
});

// The webhook queue runs on the thread that serves the requests, an event per update: a pace that
// charged its rounds for the requests served meanwhile paused them for the requests' work too, and
// at a steady write rate the queue fell behind and stayed behind.
describe('DrainPace on the serving thread', () => {
  // Busy time the loop sees (event-loop utilization counts a callback's wall time as active).
  const work = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const serve = async (requests: number, ms: number, pace: DrainPace) => {
    for (let i = 0; i < requests; i++) {
      pace.requestStarted();
      work(ms);
      pace.requestEnded();
      await turn();
    }
  };
  // One round: the drain's own work and requests served between its steps.
  const round = async (pace: DrainPace, ownMs: number, requests: number, requestMs: number) => {
    const paused = pace.round();
    work(ownMs / 2);
    await serve(requests, requestMs, pace);
    work(ownMs / 2);
    return paused();
  };

  it('charges a round for its own busy time once it has measured what a request costs between rounds', async () => {
    // Work in tens of milliseconds: the loop's busy time is wall time, and on a loaded machine a
    // thread loses a few milliseconds now and then wherever it is.
    const pace = new DrainPace(0.25, { quietMs: 60_000 });
    // Nothing measured yet: the round is charged for the requests too ((20 + 10 × 5) × 3 = 210 ms).
    const unmeasured = await round(pace, 20, 10, 5);
    expect(unmeasured).toBeGreaterThan(180);
    expect(pace.perRequestMs).toBeUndefined();
    // Requests with no round running (three windows between empty rounds): what each costs the loop.
    // Each window's wall time per request, measured here: the loop cannot be busier than that.
    let wallPerRequest = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await serve(12, 5, pace);
      pace.round()();
      wallPerRequest = Math.max(wallPerRequest, (performance.now() - started) / 12);
    }
    // 5 ms and the turn of the loop after each (more on a loaded machine, in the round too): at
    // least the work, at most the window's wall time.
    expect(pace.perRequestMs).toBeGreaterThan(4);
    expect(pace.perRequestMs).toBeLessThan(wallPerRequest * 1.1 + 0.5);
    const perRequest = pace.perRequestMs ?? 0;
    const started = performance.now();
    const measured = await round(pace, 20, 10, 5);
    const wall = performance.now() - started;
    // Its own 20 ms at a quarter share: a pause of about 60 ms, not 210. At least the round's
    // busy-waits (20 ms and 10 × 5 ms, all busy) less the requests as measured: a loaded machine's
    // windows can measure a request dearer than the round's were (15.6 seen against a bound of 20).
    expect(measured).toBeGreaterThanOrEqual((70 - 10 * perRequest) * 3 - 1);
    // The ten requests, at what a request was measured to cost between rounds, are taken out of the
    // round's busy time (which its wall time bounds): without that the pause is about 3 × wall,
    // 150 ms over this bound. Bounded by the round's own wall time, not by the unmeasured round's,
    // because a loaded machine stretches the two rounds differently (CI: 161 against 0.6 × 232).
    // (None below zero: windows that measured requests dearer than the round's leave it nothing.)
    expect(measured).toBeLessThanOrEqual(Math.max(0, wall - 10 * perRequest) * 3 + 1);
  });

  // The webhook queue keeps four rounds in flight; each measured the loop over its own span, so a
  // backlog's rounds were charged for their neighbours' work too and paused up to four times longer.
  it('charges rounds that overlap for their common span once', () => {
    // At a quarter share a round pauses three times the loop's busy time it is charged; the loop is
    // busy throughout here, so a charge is three times the wall time it covers. Each bound is
    // taken from the spans measured around the rounds, not from another round's pause: a loaded
    // machine stretches every span by a few milliseconds, not the same few each time.
    const pace = new DrainPace(0.25, { quietMs: 60_000 });
    pace.requestStarted();
    // Both over the same ~20 ms: together what one round over it pauses (3 × span), not twice that.
    const t0 = performance.now();
    const first = pace.round();
    const second = pace.round();
    work(20);
    const together = first() + second();
    const span = performance.now() - t0;
    expect(together).toBeGreaterThan(3 * span * 0.8);
    expect(together).toBeLessThan(3 * span * 1.2);
    // Staggered, A [0, 40], B [20, 60]: charged for their union (~60 ms, a pause of ~180), not
    // for each span (~80 ms, ~240).
    const t1 = performance.now();
    const a = pace.round();
    work(20);
    const tb = performance.now();
    const b = pace.round();
    work(20);
    const pauseA = a();
    const ta = performance.now();
    work(20);
    const staggered = pauseA + b();
    const t2 = performance.now();
    const union = t2 - t1;
    const overlap = ta - tb;
    expect(staggered).toBeGreaterThan(3 * union * 0.8);
    expect(staggered).toBeLessThan(3 * (union + overlap / 2));
  });

  it('learns nothing from a window with too few requests, and nothing while a round runs', async () => {
    const pace = new DrainPace(0.25, { quietMs: 60_000 });
    await serve(3, 2, pace);
    await round(pace, 1, 0, 0);
    await serve(3, 2, pace);
    await round(pace, 1, 0, 0);
    expect(pace.perRequestMs).toBeUndefined();
    // Two rounds at once: the requests served while either runs are no window.
    const first = pace.round();
    const second = pace.round();
    await serve(20, 1, pace);
    first();
    await serve(3, 1, pace);
    second();
    pace.round()();
    expect(pace.perRequestMs).toBeUndefined();
  });
});

describe('ArrivalCredit', () => {
  it('covers as many rows as arrived, for a second after the last arrival, at most four rounds of them', () => {
    let now = 0;
    const credit = new ArrivalCredit(() => now);
    expect(credit.take(5)).toBe(0);
    credit.arrived(3);
    expect(credit.take(5)).toBe(3);
    expect(credit.take(5)).toBe(0);
    credit.arrived(2);
    now += 900;
    credit.arrived(2);
    // Still fresh: both arrivals count.
    expect(credit.take(10)).toBe(4);
    credit.arrived(4);
    now += 1_001;
    // Queued over a second ago and not yet sent: a backlog, charged.
    expect(credit.take(4)).toBe(0);
    credit.arrived(10_000);
    expect(credit.take(10_000)).toBe(512);
  });

  it('lets a round kept to the flow go unpaused while requests are served', () => {
    const pace = new DrainPace(0.25, { quietMs: 60_000 });
    pace.requestStarted();
    const paused = pace.round();
    const end = performance.now() + 4;
    while (performance.now() < end);
    expect(paused(0)).toBe(0);
    const charged = pace.round();
    const until = performance.now() + 4;
    while (performance.now() < until);
    expect(charged(0.5)).toBeGreaterThan(4);
  });
});
