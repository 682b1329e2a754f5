import { loadavg } from 'node:os';
import { join } from 'node:path';
import { measure, type Workload } from './load.ts';
import { type Child, runToEnd } from './processes.ts';
import type { Row } from './report.ts';
import { combine, type Round } from './rounds.ts';
import { logSlice, probeFailure, type RowContext, type RowMeta, slice } from './rows.ts';

// The rows whose ratios are targets, measured in alternation (bench/rounds.ts says why): every
// server stays up for the whole set, and each round measures every group's sides one short
// slice (BENCH_SLICE_SECONDS) after the other, BENCH_ROUNDS times. A side measured beside
// another (custgate beside the same work by hand, the large store beside the small one) keeps,
// round by round, the slice its partner gave in the same group: the pair of one round ran
// seconds apart, whatever the host did a minute earlier.

/** One row measured in slices: a workload against a running server. */
export interface Side {
  readonly label: string;
  readonly meta: RowMeta;
  readonly server: { readonly child: Child; readonly url: string };
  readonly work: Workload;
  /** The side this one's ratio is taken to (in the same group). */
  readonly against?: Side;
  /** Its slices, one per group it is in per round. */
  readonly rounds: Round[];
  /** `against`'s slice from the same group, per round. */
  readonly paired: Round[];
  peakRss: number | undefined;
  failure: string | undefined;
}

export function side(label: string, meta: RowMeta, server: Side['server'], work: Workload, against?: Side): Side {
  return { label, meta, server, work, ...(against ? { against } : {}), rounds: [], paired: [], peakRss: undefined, failure: undefined };
}

/**
 * `ctx.rounds` rounds over `groups`: each group's sides in order on even rounds and in reverse on
 * odd ones, so neither side of a pair always runs second (after a server that just wrote, or in
 * a window that was getting slower). `beforeEach` runs at the start of every round.
 */
export async function alternate(ctx: RowContext, groups: readonly (readonly Side[])[], beforeEach?: (round: number) => Promise<void>) {
  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`round ${round + 1} of ${ctx.rounds}`);
    await beforeEach?.(round);
    for (const group of groups) {
      for (const s of round % 2 === 0 ? group : [...group].reverse()) {
        if (round === 0) s.failure = await probeFailure(s.server.url, s.work);
        if (ctx.sliceWarmupSeconds > 0) {
          const options = s.meta.rate ? { ...ctx.load, rate: s.meta.rate } : ctx.load;
          await measure(s.server.url, s.work, { ...options, durationSeconds: ctx.sliceWarmupSeconds });
        }
        const { round: taken, peakRss } = await slice(ctx, s.server.child, s.server.url, s.label, s.work, s.meta.rate);
        s.rounds.push(taken);
        if (peakRss !== undefined) s.peakRss = Math.max(s.peakRss ?? 0, peakRss);
        // Both store sizes' rows carry the same label; the log tells them apart.
        const shown = s.meta.customers === undefined ? s.label : `${s.label} [${s.meta.customers.toLocaleString('en-US')}]`;
        logSlice(ctx, shown, taken, round === 0 ? s.failure : undefined);
      }
      for (const s of group) {
        const partner = s.against?.rounds.at(-1);
        if (s.against && group.includes(s.against) && partner) s.paired.push(partner);
      }
    }
  }
}

/** A row per side: the median of its slices, the partner's slices beside its own. */
export function rowOf(s: Side): Row {
  const row: Row = {
    label: s.label,
    ...s.meta,
    ...combine(s.rounds),
    peakRss: s.peakRss,
    rounds: s.rounds,
    ...(s.against ? { against: { label: s.against.label, kind: s.against.meta.kind, rounds: s.paired } } : {}),
  };
  return s.failure ? { ...row, probeFailure: s.failure } : row;
}

/**
 * The disk's floor for a durable commit, measured between slices (nothing else of the bench runs
 * meanwhile) on the directory the stores are on: bench/fsync-latency.mjs's overwrite + fdatasync,
 * which is how a synchronous=FULL commit of the server's writer meets the disk (a few WAL frames
 * over a reset WAL; docs/performance.md, "The update's tail"). Two frames per commit, as there.
 */
export async function diskFloor(ctx: RowContext, dir: string): Promise<void> {
  if (ctx.diskCommits <= 0) return;
  const file = join(dir, 'disk-floor.bin');
  const args = ['bench/fsync-latency.mjs', file, String(ctx.diskCommits), '2', 'overwrite:fdatasync'];
  const { out, code } = await runToEnd(args, {}, 120_000);
  const line = out.split('\n').find((l) => l.includes('overwrite'));
  const p99 = line ? Number(/p99 ([\d.]+)/.exec(line)?.[1]) : Number.NaN;
  if (code !== 0 || !Number.isFinite(p99)) {
    ctx.log(`  disk floor: not measured (${code})`);
    return;
  }
  ctx.diskFloor.push(p99);
  ctx.log(`  disk floor, ${ctx.diskCommits} commits:${line!.replace(/^\s*overwrite\s+fdatasync/, '')}  load ${loadavg()[0]!.toFixed(2)}`);
}
