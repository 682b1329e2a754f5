import type fc from 'fast-check';

// fc.assert's parameters for the property suites. CI draws a new seed each run, so each run samples
// differently; a failure's message names its seed and path. CUSTGATE_PROPERTY_SEED (and
// CUSTGATE_PROPERTY_PATH, to go straight to the shrunk counterexample) replays it; unset, the
// seed is random as before.

/** `numRuns`, with the seed (and path) the environment names, if it names one. */
export function propertyParameters<Ts>(numRuns: number): fc.Parameters<Ts> {
  const seed = process.env.CUSTGATE_PROPERTY_SEED;
  const path = process.env.CUSTGATE_PROPERTY_PATH;
  return {
    numRuns,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * A property's timeout: `base` for the default runs, and as much more per run for a longer local
 * run (`runs` above `defaultRuns`), so a run count set in the environment is not cut short by it.
 */
export const propertyTimeout = (base: number, runs: number, defaultRuns = 200): number =>
  Math.max(base, Math.ceil((base * runs) / defaultRuns));
