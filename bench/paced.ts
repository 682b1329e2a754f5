import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { byHand } from './by-hand.ts';
import { hello } from './requests.ts';
import { custgate, type RowContext } from './rows.ts';

// `npm run bench -- --only paced`: the update's p99 at a fixed offered load (issue #30) and what
// it is made of, nothing else. Rows: hello-world at the rate (the harness's own floor), the same
// updates by hand (synchronous=FULL and NORMAL), and custgate's Wooshpay update with the
// checkpoint on its own thread (the default) and inside the commit (CUSTGATE_SQLITE_CHECKPOINT=
// inline), with synchronous=FULL and NORMAL, BENCH_PACED_ROUNDS [1] times alternately. For each
// custgate row the writer thread's own timings over the measured seconds
// (CUSTGATE_SQLITE_WRITER_TRACE): commits, their duration, checkpoints, the WAL's size.

interface Window {
  readonly label: string;
  readonly startedMs: number;
  readonly endedMs: number;
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const spread = (ms: number[]) => {
  ms.sort((a, b) => a - b);
  return `p50 ${pct(ms, 0.5).toFixed(2)} ms, p99 ${pct(ms, 0.99).toFixed(2)}, max ${(ms.at(-1) ?? 0).toFixed(2)}`;
};

/** The writer thread's trace over one row's measured window, as one line. */
export function summarizeTrace(text: string, window: Window): string {
  const commits: number[] = [];
  const checkpoints: number[] = [];
  let units = 0;
  let walMax = 0;
  for (const line of text.split('\n')) {
    const [kind, at, ms, detail] = line.split(',');
    const t = Number(at);
    if (!kind || t < window.startedMs || t > window.endedMs) continue;
    if (kind === 'commit') {
      commits.push(Number(ms));
      const [n, wal] = (detail ?? '').split('/');
      units += Number(n);
      walMax = Math.max(walMax, Number(wal));
    } else checkpoints.push(Number(ms));
  }
  const slow = commits.filter((ms) => ms > 5).length;
  return [
    `${window.label}: ${commits.length} commits (${(units / Math.max(1, commits.length)).toFixed(2)} updates each), ${spread(commits)}, ${slow} over 5 ms`,
    `${checkpoints.length} checkpoints off the commit path${checkpoints.length > 0 ? ` (${spread(checkpoints)})` : ''}`,
    `WAL up to ${(walMax / 1024 / 1024).toFixed(1)} MB`,
  ].join('; ');
}

export async function pacedRows(ctx: RowContext, dir: string, customers: number, rounds: number) {
  if (ctx.fixedRate <= 0) throw new Error('--only paced needs BENCH_RATE > 0');
  const windows: Window[] = [];
  const paced: RowContext = { ...ctx, onMeasured: (label, startedMs, endedMs) => windows.push({ label, startedMs, endedMs }) };
  await hello(paced, false);
  await byHand(paced, dir, customers, ['sqlite'], false);
  const wooshpay = ctx.registered.filter((d) => d.name === 'wooshpay');
  for (let round = 0; round < rounds; round++) {
    for (const synchronous of ['full', 'normal'] as const) {
      for (const checkpoint of ['thread', 'inline'] as const) {
        const trace = join(dir, `writer-${synchronous}-${checkpoint}-${round}.csv`);
        const env = {
          CUSTGATE_SQLITE_SYNCHRONOUS: synchronous,
          CUSTGATE_SQLITE_CHECKPOINT: checkpoint,
          CUSTGATE_SQLITE_WRITER_TRACE: trace,
        };
        const tag = ` (sync=${synchronous.toUpperCase()}, checkpoint ${checkpoint})`;
        const server = { backend: 'sqlite', customers, dialects: wooshpay, retrieve: false, fixedRate: true, saturate: false } as const;
        await custgate(paced, dir, { ...server, tag, env });
        const window = windows.at(-1);
        if (window && existsSync(trace)) {
          const line = summarizeTrace(readFileSync(trace, 'utf8'), window);
          ctx.log(`  writer thread, ${line}`);
          ctx.notes.push(`Writer thread, ${line}.`);
        }
        rmSync(trace, { force: true });
      }
    }
  }
}
