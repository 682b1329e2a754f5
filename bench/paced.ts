import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { byHand } from './by-hand.ts';
import { hello } from './requests.ts';
import { custgate, type RowContext } from './rows.ts';
import { attributeTail, summarizeTrace, unexplained, type Window } from './tail.ts';
import { stageLegend, tailStages } from './tail-stages.ts';

// `npm run bench -- --only paced`: the update's p99 at a fixed offered load (issue #30) and what
// it is made of, nothing else. Rows: hello-world at the rate (the harness's own floor), the same
// updates by hand (synchronous=FULL and NORMAL), and custgate's Wooshpay update with the
// checkpoint on its own thread (CUSTGATE_SQLITE_CHECKPOINT=thread) and inside the commit (the
// default), with synchronous=FULL and NORMAL, BENCH_PACED_ROUNDS [1] times alternately. For each
// custgate row: the writer thread's own timings over the measured seconds
// (CUSTGATE_SQLITE_WRITER_TRACE: commits, their duration, checkpoints, the WAL's size), and the
// tail's attribution (bench/tail.ts): the requests over 5 ms counted by what was going on while
// they waited — a slow commit, a pause of the server's main thread (GC or other, from
// bench/main-thread-probe.mjs loaded into the server), a late send of the pacer. Every paced row
// also gets the pacer's own lateness. BENCH_PACED_PAGES (e.g. `250,1000`) runs the custgate rows
// once per CUSTGATE_SQLITE_CHECKPOINT_PAGES value; BENCH_PACED_SYNC (`full`, `normal` or both, the
// default) which synchronous settings they run with; BENCH_PACED_WRITER the writer they use.

const probe = pathToFileURL(new URL('./main-thread-probe.mjs', import.meta.url).pathname).href;

export async function pacedRows(ctx: RowContext, dir: string, customers: number, rounds: number) {
  if (ctx.fixedRate <= 0) throw new Error('--only paced needs BENCH_RATE > 0');
  const windows: Window[] = [];
  const paced: RowContext = { ...ctx, onMeasured: (label, startedMs, endedMs) => windows.push({ label, startedMs, endedMs }) };
  // The rows without a trace of their own: the pacer's lateness only.
  const pacerLines = (from: number) => {
    for (const row of ctx.rows.slice(from)) {
      const detail = row.measured.paced;
      if (!detail) continue;
      const line = `${row.label}: ${detail.slow.length} requests over 5 ms; pacer sent late p99 ${detail.lateP99.toFixed(2)} ms, max ${detail.lateMax.toFixed(2)}, ${detail.lateOver5} over 5 ms`;
      ctx.log(`  tail, ${line}`);
      ctx.notes.push(`Tail, ${line}.`);
    }
  };
  const before = ctx.rows.length;
  await hello(paced, false);
  await byHand(paced, dir, customers, ['sqlite'], false);
  pacerLines(before);
  const wooshpay = ctx.registered.filter((d) => d.name === 'wooshpay');
  const pagesList = (process.env.BENCH_PACED_PAGES ?? '').split(',').filter((p) => p.trim() !== '');
  const syncs = (process.env.BENCH_PACED_SYNC ?? 'full,normal').split(',').map((s) => s.trim());
  // The writer (CUSTGATE_SQLITE_WRITER, `thread` or `inline`) every custgate row runs with; unset, the default.
  const writerMode = process.env.BENCH_PACED_WRITER?.trim();
  const variants = (['full', 'normal'] as const)
    .filter((s) => syncs.includes(s))
    .flatMap((synchronous) =>
      (['thread', 'inline'] as const).flatMap((checkpoint) =>
        (pagesList.length > 0 ? pagesList : [undefined]).map((pages) => ({ synchronous, checkpoint, pages })),
      ),
    );
  ctx.notes.push(`The stages a slow request is classed by (its longest): ${stageLegend}.`);
  for (let round = 0; round < rounds; round++) {
    for (const { synchronous, checkpoint, pages } of variants) {
      const name = `${synchronous}-${checkpoint}-${pages ?? 'default'}-${round}`;
      const trace = join(dir, `writer-${name}.csv`);
      const mainTrace = join(dir, `main-${name}.csv`);
      const requestTrace = join(dir, `requests-${name}.csv`);
      const env = {
        CUSTGATE_SQLITE_SYNCHRONOUS: synchronous,
        CUSTGATE_SQLITE_CHECKPOINT: checkpoint,
        ...(pages ? { CUSTGATE_SQLITE_CHECKPOINT_PAGES: pages.trim() } : {}),
        ...(writerMode ? { CUSTGATE_SQLITE_WRITER: writerMode } : {}),
        CUSTGATE_SQLITE_WRITER_TRACE: trace,
        BENCH_MAIN_THREAD_TRACE: mainTrace,
        CUSTGATE_REQUEST_TRACE: requestTrace,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${probe}`.trim(),
      };
      const tag = ` (sync=${synchronous.toUpperCase()}${writerMode ? `, ${writerMode} writer` : ''}, checkpoint ${checkpoint}${pages ? `, ${pages.trim()} pages` : ''})`;
      const server = { backend: 'sqlite', customers, dialects: wooshpay, retrieve: false, fixedRate: true, saturate: false } as const;
      await custgate(paced, dir, { ...server, tag, env });
      const window = windows.at(-1);
      const writer = existsSync(trace) ? readFileSync(trace, 'utf8') : '';
      if (window && writer) {
        const line = summarizeTrace(writer, window);
        ctx.log(`  writer thread, ${line}`);
        ctx.notes.push(`Writer thread, ${line}.`);
      }
      const detail = ctx.rows.at(-1)?.measured.paced;
      if (window && detail) {
        const main = existsSync(mainTrace) ? readFileSync(mainTrace, 'utf8') : '';
        const line = attributeTail(window, detail, writer, main);
        ctx.log(`  tail, ${line}`);
        ctx.notes.push(`Tail, ${line}.`);
        // Where they waited, from the server's own request trace (bench/tail-stages.ts).
        const requests = existsSync(requestTrace) ? readFileSync(requestTrace, 'utf8') : '';
        for (const [what, slow] of [
          ['all', detail.slow],
          ['none of these', unexplained(window, detail, writer, main)],
        ] as const) {
          const stages = tailStages(`${window.label}, ${what}`, slow, requests);
          ctx.log(`  stages, ${stages}`);
          ctx.notes.push(`Stages, ${stages}.`);
        }
      }
      rmSync(trace, { force: true });
      rmSync(mainTrace, { force: true });
      rmSync(requestTrace, { force: true });
    }
  }
}
