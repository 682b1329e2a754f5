// How far V8 lets the old generation grow past what survived the last full collection before it
// collects again, for a serving process. V8's own pacing lets it grow up to fourfold when marking
// looks cheap, and at thousands of requests a second over 32 connections the old generation fills
// with promoted request garbage: the compiled server peaked at 181–205 MB resident while retrieving
// with about 24 MB live (docs/performance.md, "Memory: the installed server"). A fixed factor of 1 + percent ÷ 100 keeps
// the peak near what is live. V8 reads the flag each time it sets the next limit, so setting it
// from inside the process works (unlike the young generation's size, fixed when the heap is made).

/** The bounds of CUSTGATE_HEAP_GROWING_PERCENT; 0 leaves V8's own pacing. */
export const heapGrowingBounds = { min: 0, max: 1000, serveDefault: 20 };

/**
 * The V8 flag `custgate <argv>` sets for its own process, or undefined: only `serve` sets one, and
 * never over a `--heap-growing-percent` given to node itself. Throws on a value out of bounds.
 * @param {readonly string[]} argv the command line after `custgate`
 * @param {Readonly<Record<string, string | undefined>>} env
 * @param {readonly string[]} execArgv node's own options
 * @returns {string | undefined}
 */
export function heapGrowingFlag(argv, env, execArgv) {
  if (argv.find((a) => !a.startsWith('-')) !== 'serve') return undefined;
  if (execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return undefined;
  const raw = env.CUSTGATE_HEAP_GROWING_PERCENT;
  const { min, max, serveDefault } = heapGrowingBounds;
  if (raw === undefined || raw === '') return `--heap-growing-percent=${serveDefault}`;
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new Error(
      `CUSTGATE_HEAP_GROWING_PERCENT must be a whole number from ${min} to ${max} (0: V8's own pacing), not ${JSON.stringify(raw)}`,
    );
  return n === 0 ? undefined : `--heap-growing-percent=${n}`;
}

// The young generation. V8 sizes each semi-space from 1 MB up to 16 MB (new space 2 to 32 MB) as
// survivors grow, and at 32 connections it reaches the maximum: 32 MB of the compiled server's
// peak (docs/performance.md, "Memory: the installed server"). `--max-semi-space-size` caps it but
// is read only when the heap is made, so it works on node's command line only. V8 reads
// `--semi-space-growth-factor` each time it grows the new space (to min(maximum, factor ×
// capacity)), so a cap can be built at run time: a factor that takes the current size straight to
// the cap in one step, then 1 once it is there.

/** The bounds of CUSTGATE_YOUNG_GENERATION_MB (new space, both semi-spaces); 0 leaves V8's own sizing. */
export const youngGenerationBounds = { min: 2, max: 32, serveDefault: 12 };

const nodeYoungFlags = /^--(max[-_]semi[-_]space[-_]size|min[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/;

/**
 * The young generation's cap in MB `custgate <argv>` keeps for its own process, or undefined:
 * only `serve` keeps one, and never over a semi-space flag given to node itself (its command line
 * or NODE_OPTIONS). Throws on a value out of bounds.
 * @param {readonly string[]} argv the command line after `custgate`
 * @param {Readonly<Record<string, string | undefined>>} env
 * @param {readonly string[]} execArgv node's own options
 * @returns {number | undefined}
 */
export function youngGenerationCap(argv, env, execArgv) {
  if (argv.find((a) => !a.startsWith('-')) !== 'serve') return undefined;
  const nodeOptions = (env.NODE_OPTIONS ?? '').split(/\s+/);
  if ([...execArgv, ...nodeOptions].some((a) => nodeYoungFlags.test(a))) return undefined;
  const raw = env.CUSTGATE_YOUNG_GENERATION_MB;
  const { min, max, serveDefault } = youngGenerationBounds;
  if (raw === undefined || raw === '') return serveDefault;
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (n === 0) return undefined;
  if (!(n >= min && n <= max && n % 2 === 0))
    throw new Error(
      `CUSTGATE_YOUNG_GENERATION_MB must be an even number of MB from ${min} to ${max} (0: V8's own sizing), not ${JSON.stringify(raw)}`,
    );
  return n;
}

/**
 * Keeps this process's new space at or under `mb` from now on. After every collection (a `gc`
 * PerformanceObserver: it runs right after each one, where a timer
 * would either poll idle servers or let a busy one grow twice between two looks) it sets the
 * growth factor for the next step: the whole way to the cap, or 1 at the cap. The factor is
 * process-wide, so worker threads' isolates grow by it too. V8 raises a factor under 2 back to 2
 * whenever it makes a heap (Heap::ConfigureHeap), so the factor is set at every look, not only
 * when it changes, and again while each worker thread (the SQLite writer) starts.
 * @param {number} mb
 * @param {{ setFlagsFromString(flag: string): void; getHeapSpaceStatistics(): { space_name: string; space_size: number; space_used_size: number; space_available_size: number }[] }} v8
 * @param {typeof import('node:perf_hooks')} perfHooks
 * @param {typeof import('node:diagnostics_channel')} channels
 * @returns {{ steer(): void; stop(): void }} steer: set the factor now (after something made a
 *   heap out of sight of the channel, such as a module loader's thread); stop: stop keeping the
 *   cap (the factor stays where it is)
 */
export function capYoungGeneration(mb, v8, perfHooks, channels) {
  const steer = () => {
    const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    if (!newSpace) return;
    // One semi-space's capacity, which is what V8 multiplies. The new space's size counts both
    // semi-spaces, except before the first scavenge and after V8 gives the idle one back, when
    // it counts one: used + available is one semi-space's capacity in every state, less its pages'
    // headers (under 2 %).
    const semi = Math.max(newSpace.space_size / 2, newSpace.space_used_size + newSpace.space_available_size);
    if (semi <= 0) return;
    const next = Math.max(1, Math.floor((mb * 1024 * 1024) / 2 / semi));
    v8.setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  steer();
  const observer = new perfHooks.PerformanceObserver(steer);
  observer.observe({ entryTypes: ['gc'] });
  // A new thread makes its heap right after it fills in its resource limits, and its 'online'
  // event reaches this thread much later (270–370 ms at load 20, measured): in between, a scavenge
  // here could grow the new space with the reset factor. So this thread sleeps (1 ms at a time, at
  // most 200 ms, once per thread; 0–16 ms measured) until the limits are filled in, and a few ms more
  // for the heap to be made, then sets the factor; and again at every turn of the event loop until
  // the thread is online, in case the sleep was too short.
  const started = (/** @type {unknown} */ message) => {
    const worker = /** @type {{ worker?: import('node:worker_threads').Worker }} */ (message).worker;
    if (!worker) return;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const since = performance.now();
    while (!((worker.resourceLimits?.maxYoungGenerationSizeMb ?? 0) > 0) && performance.now() - since < 200) Atomics.wait(sleeper, 0, 0, 1);
    Atomics.wait(sleeper, 0, 0, 3);
    steer();
    let waiting = true;
    const stop = () => {
      waiting = false;
      steer();
    };
    worker.once('online', stop).once('exit', stop);
    const again = () => {
      if (!waiting) return;
      steer();
      setImmediate(again).unref();
    };
    setImmediate(again).unref();
  };
  channels.subscribe('worker_threads', started);
  return {
    steer,
    stop: () => {
      observer.disconnect();
      channels.unsubscribe('worker_threads', started);
    },
  };
}
