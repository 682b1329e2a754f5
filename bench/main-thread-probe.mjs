// @ts-check
// Loaded into a server the bench starts (`NODE_OPTIONS=--import=<this file>`, bench/paced.ts) with
// BENCH_MAIN_THREAD_TRACE=<file>: appends the main thread's pauses to that file as CSV, so the
// paced rows can tell a slow request that waited for the event loop from one that waited for a
// commit. Lines: `gc,<start ms since the epoch>,<ms>,<kind>` for every garbage collection (V8's
// own timing, PerformanceObserver), and `stall,<start>,<ms>` when a 2 ms timer fired more than
// 2 ms late (the loop was busy or paused: a GC, a long synchronous task, the scheduler). Nothing
// in the server reads it; the server's own code is unchanged by it.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_MAIN_THREAD_TRACE;
if (file && isMainThread) {
  const lines = /** @type {string[]} */ ([]);
  const at = (/** @type {number} */ t) => (performance.timeOrigin + t).toFixed(1);
  /** @type {Record<number, string>} */
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = /** @type {{ kind?: number } | undefined} */ (entry.detail)?.kind ?? 0;
      lines.push(`gc,${at(entry.startTime)},${entry.duration.toFixed(3)},${kinds[kind] ?? kind}\n`);
    }
  }).observe({ entryTypes: ['gc'] });
  const period = 2;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - period;
    if (late > period) lines.push(`stall,${at(last + period)},${late.toFixed(3)}\n`);
    last = now;
  }, period).unref();
  const write = () => lines.length > 0 && appendFileSync(file, lines.splice(0).join(''));
  setInterval(write, 1000).unref();
  process.on('exit', write);
}
