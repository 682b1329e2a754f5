import { describe, expect, it } from 'vitest';
import type { Measured } from './load.ts';
import { type Row, table, verdicts } from './report.ts';
import { combine, type Round, roundRatios, spread } from './rounds.ts';

// How the bench reads alternated rows (issue #30): a ratio is taken round by round, between the
// two slices measured seconds apart, and the target reads the median of those ratios, not the
// ratio of each row's own median (which pairs a slice of one window with a slice of another).

const measured = (rps: number, p99 = 1): Measured => ({ rps, p50: p99 / 2, p99, errors: 0, total: rps });
const rounds = (values: readonly number[], p99s?: readonly number[]): Round[] =>
  values.map((rps, i) => ({ measured: measured(rps, p99s?.[i]), cpuPerRequest: 1e6 / rps }));

function alternated(label: string, meta: Omit<Row, 'label' | 'measured' | 'peakRss' | 'cpuPerRequest'>, own: Round[], against?: Row): Row {
  return {
    label,
    ...meta,
    ...combine(own),
    peakRss: undefined,
    rounds: own,
    ...(against?.rounds ? { against: { label: against.label, kind: against.kind, rounds: against.rounds } } : {}),
  };
}

describe('spread', () => {
  it('is the median and range of the finite values', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(spread([Number.NaN, 5])).toEqual({ median: 5, min: 5, max: 5, n: 1 });
    expect(spread([])).toBeUndefined();
  });
});

describe('roundRatios', () => {
  it('divides each round by the slice measured beside it', () => {
    const ratios = roundRatios(rounds([85, 170, 60]), rounds([100, 200, 300]), (m) => m.rps);
    expect(ratios?.median).toBeCloseTo(0.85);
    expect(ratios?.min).toBeCloseTo(0.2);
    expect(ratios?.n).toBe(3);
  });
});

describe('the targets read the alternated rounds', () => {
  // The by-hand app ran at 100, 200 and 300/s in three rounds (the host's windows); custgate beside
  // it at 85, 170 and, in a window of its own, 60. Each row's median alone would say 85 ÷ 200.
  const hand = alternated('by hand retrieve (sync=NORMAL)', { kind: 'by-hand', backend: 'sqlite' }, rounds([100, 200, 300]));
  const meta = { dialect: 'wooshpay', customers: 1000, backend: 'sqlite', variant: '' } as const;
  const custgate = alternated('wooshpay retrieve', { kind: 'retrieve', ...meta }, rounds([85, 170, 60]), hand);

  it('judges retrieve ≥ 0.8× by hand on the median of the per-round ratios', () => {
    const verdict = verdicts([hand, custgate]).find((v) => v.target.startsWith('retrieve ≥'));
    expect(verdict).toMatchObject({ value: '0.85× (0.20–0.85)', met: true });
    expect(verdict?.target).toContain('median of 3 alternated rounds');
  });

  it('shows the same median and range in the table', () => {
    const line = table([hand, custgate])
      .text.split('\n')
      .find((l) => l.startsWith('wooshpay retrieve'));
    expect(line).toContain('0.85× (0.20–0.85)');
  });

  it('judges the large store against the small store’s slice of the same round', () => {
    const small = alternated('meteroid update', { kind: 'update', ...meta, dialect: 'meteroid' }, rounds([1000, 2000, 1000]));
    const large = alternated(
      'meteroid update',
      { kind: 'update', ...meta, dialect: 'meteroid', customers: 1_000_000 },
      rounds([950, 1900, 400]),
      small,
    );
    const verdict = verdicts([small, large]).find((v) => v.target.startsWith('update at 1,000,000'));
    expect(verdict).toMatchObject({ subject: 'meteroid', value: '95.0% (40.0–95.0)', met: true });
    // Its share of the by-hand update is the small store's target, not a second one.
    const handUpdate = alternated('by hand update (sync=NORMAL)', { kind: 'by-hand', backend: 'sqlite' }, rounds([1000, 1000, 1000]));
    expect(verdicts([handUpdate, small, large]).filter((v) => v.target.startsWith('update ≥'))).toHaveLength(1);
  });

  it('states the fixed-rate p99 beside the by-hand app’s at the same rate and the disk’s floor', () => {
    const rate = { rate: 500 } as const;
    const handPaced = alternated(
      'by hand update (sync=FULL) at 500 req/s',
      { kind: 'by-hand', ...rate },
      rounds([500, 500, 500], [10, 12, 30]),
    );
    const paced = alternated(
      'wooshpay update at 500 req/s',
      { kind: 'update', ...meta, variant: ' (500 req/s)', ...rate },
      rounds([500, 500, 500], [11, 12, 15]),
      handPaced,
    );
    const verdict = verdicts([handPaced, paced], spread([11.7, 9, 14])).find((v) => v.target.startsWith('p99'));
    expect(verdict?.met).toBe(false);
    expect(verdict?.target).toContain('p99 ≤ 5 ms at 500 req/s');
    expect(verdict?.value).toBe(
      "12.00 ms (11.00–15.00); by hand update (sync=FULL) at 500 req/s 12.00 ms, ÷ it 1.00× (0.50–1.10); the disk's p99 for a durable commit 11.70 ms (9.00–14.00)",
    );
  });
});
