import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Row } from './report.ts';
import { alternationLines, type RunSummary, writeResults } from './results.ts';
import { combine, type Round } from './rounds.ts';

// RESULTS.md's method lines say how the alternated rows were measured (bench/pairs.ts): the small
// store's update serves the rounds it shares with the by-hand update and then the large store's
// rounds of their own, and a run without a large store (BENCH_LARGE=0) has neither.

const slices = (n: number, rps = 1000): Round[] =>
  Array.from({ length: n }, () => ({ measured: { rps, p50: 1, p99: 2, errors: 0, total: rps }, cpuPerRequest: 500 }));

function row(label: string, kind: Row['kind'], customers: number, own: Round[], against?: Row, paired?: Round[]): Row {
  return {
    label,
    kind,
    backend: 'sqlite',
    dialect: 'wooshpay',
    customers,
    ...combine(own),
    peakRss: undefined,
    rounds: own,
    ...(against ? { against: { label: against.label, kind: against.kind, rounds: paired ?? [] } } : {}),
  };
}

const alternation = { rounds: 3, scaleRounds: 5, sliceSeconds: 4, sliceWarmupSeconds: 1, diskFloor: [] } as const;
const hand = row('by hand update (sync=NORMAL)', 'by-hand', 1000, slices(3));
// As bench/pairs.ts leaves them: three slices beside the by-hand update, then five beside the large store.
const small = row('wooshpay update', 'update', 1000, slices(8), hand, slices(3));
const large = row('wooshpay update', 'update', 1_000_000, slices(5), small, slices(5));

describe('the method lines of RESULTS.md', () => {
  it("say the small store's update is 8 slices, its × by hand from the 3 rounds it shares", () => {
    const text = alternationLines(alternation, [hand, small, large], 10, 3).join('\n');
    expect(text).toContain("each dialect's update at both store sizes");
    expect(text).toContain('in 5 rounds of their own');
    expect(text).toContain(
      "the small store's update row is the median of its 8 slices (3 beside the by-hand update, 5 beside the large store), its × by hand from the 3 rounds it shares with the by-hand update",
    );
  });

  it('say no large store was measured, and claim neither its size nor its rounds, when BENCH_LARGE=0', () => {
    const alone = row('wooshpay update', 'update', 1000, slices(3), hand, slices(3));
    const text = alternationLines(alternation, [hand, alone], 10, 3).join('\n');
    expect(text).toContain('No large store was measured (BENCH_LARGE=0)');
    expect(text).toContain('the median of its 3 slices');
    expect(text).not.toContain('both store sizes');
    expect(text).not.toContain('rounds of their own after');
    expect(text).not.toContain('8 slices');
  });

  it('are the lines RESULTS.md is written with', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'custgate-results-')), 'RESULTS.md');
    const run: RunSummary = {
      rows: [hand, small, large],
      sections: [],
      notes: [],
      load: { connections: 32, durationSeconds: 10 },
      warmupSeconds: 3,
      synchronous: 'FULL',
      load0: [0, 0, 0],
      started: Date.now(),
      alternation,
    };
    writeResults(run, path);
    expect(readFileSync(path, 'utf8')).toContain(alternationLines(alternation, run.rows, 10, 3).join('\n'));
  });
});
