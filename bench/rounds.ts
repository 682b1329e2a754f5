import type { Measured } from './load.ts';

// A ratio's two rows measured in alternation (issue #30): each round measures both sides one
// short slice after the other, with the servers kept up, so the host's slow windows (a VM whose
// cores are shared: the same code's CPU per request moved 40–50 % between windows of one run)
// fall on both sides of a round instead of on whichever rows ran then. A ratio is taken per
// round and reported as the median of the rounds, with its min–max.

/** What one slice of an alternated row measured. */
export interface Round {
  readonly measured: Measured;
  /** Server CPU time (user + system) per request, µs. */
  readonly cpuPerRequest: number | undefined;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many values (rounds) it is of. */
  readonly n: number;
}

/** The median and the range of the finite values, or undefined when there are none. */
export function spread(values: readonly number[]): Spread | undefined {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const lo = sorted[0];
  const hi = sorted.at(-1);
  if (lo === undefined || hi === undefined) return undefined;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: lo, max: hi, n: sorted.length };
}

/** A row's figures over its rounds: the median of each, errors and requests summed. */
export function combine(rounds: readonly Round[]): Round {
  const median = (pick: (r: Round) => number | undefined) => spread(rounds.map(pick).filter((v): v is number => v !== undefined))?.median;
  return {
    measured: {
      rps: median((r) => r.measured.rps) ?? 0,
      p50: median((r) => r.measured.p50) ?? Number.NaN,
      p99: median((r) => r.measured.p99) ?? Number.NaN,
      errors: rounds.reduce((sum, r) => sum + r.measured.errors, 0),
      total: rounds.reduce((sum, r) => sum + r.measured.total, 0),
    },
    cpuPerRequest: median((r) => r.cpuPerRequest),
  };
}

/**
 * Round i of `rounds` over round i of `against` (the slice measured beside it), for the figure
 * `pick` takes: the ratio per round, then their median and range.
 */
export function roundRatios(rounds: readonly Round[], against: readonly Round[], pick: (m: Measured) => number): Spread | undefined {
  return spread(
    rounds.flatMap((r, i) => {
      const base = against[i];
      return base && pick(base.measured) > 0 ? [pick(r.measured) / pick(base.measured)] : [];
    }),
  );
}

/** `0.92×` for one round, `0.92× (0.85–1.01)` for several. */
export function formatSpread(s: Spread, digits = 2, unit = '×'): string {
  const f = (v: number) => v.toFixed(digits);
  return s.n > 1 ? `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})` : `${f(s.median)}${unit}`;
}
