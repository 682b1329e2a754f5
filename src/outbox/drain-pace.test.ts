import { describe, expect, it } from 'vitest';
import { DrainPace, pacedDrain, ServingSignal } from './drain-pace.ts';

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
