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
