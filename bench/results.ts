import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { type Section, sectionMarkdown } from './gateways.ts';
import type { LoadOptions } from './load.ts';
import { type Row, table, verdictLines, verdicts } from './report.ts';
import { formatSpread, spread } from './rounds.ts';

export interface RunSummary {
  readonly rows: readonly Row[];
  readonly sections: readonly Section[];
  readonly notes: readonly string[];
  readonly load: LoadOptions;
  readonly warmupSeconds: number;
  readonly synchronous: 'FULL' | 'NORMAL';
  /** The load average when the run started, and when. */
  readonly load0: readonly number[];
  readonly started: number;
  /** How the pairs were alternated, and the disk's p99 per round (ms). */
  readonly alternation?: {
    readonly rounds: number;
    readonly scaleRounds: number;
    readonly sliceSeconds: number;
    readonly sliceWarmupSeconds: number;
    readonly diskFloor: readonly number[];
  };
}

/**
 * How the alternated rows were measured, as this run's rows show it (bench/pairs.ts). In a full
 * run with a large store, the small store's update serves the rounds it shares with the by-hand
 * update and then the large store's rounds of their own: its figures are the median of all those
 * slices, its × by hand of the shared rounds only (bench/rounds.ts, roundRatios pairs round i with
 * the i-th slice measured beside it). Without a large store (BENCH_LARGE=0) there are no such
 * rounds, and `--only scale` has no by-hand rows, its two stores alternating in the common rounds.
 */
export function alternationLines(
  a: NonNullable<RunSummary['alternation']>,
  rows: readonly Row[],
  durationSeconds: number,
  warmupSeconds: number,
): string[] {
  const byHand = rows.some((r) => r.kind === 'by-hand' && r.rounds);
  // The large store's update is the one row measured beside another update.
  const scaled = rows.some((r) => r.against?.kind === 'update');
  const slices = `${a.sliceSeconds} s a side back to back (each slice after ${a.sliceWarmupSeconds} s of its own requests, unmeasured), the order reversed every other round`;
  const others = `The other rows ran once for ${durationSeconds} s after ${warmupSeconds} s of warm-up.`;
  if (!byHand) {
    return [
      `- ${scaled ? "Each dialect's update at both store sizes" : 'The rows a target compares'} ran in alternation with their servers kept up: ${a.rounds} rounds, each pair ${slices} (bench/pairs.ts). Such a row's figures are the median of its ${a.rounds} slices; a ratio is the median of the per-round ratios with their min–max (bench/rounds.ts). ${others}`,
    ];
  }
  const compared = scaled ? "each dialect's update at both store sizes" : "each dialect's update";
  return [
    `- The rows a target compares (by hand and custgate, ${compared}, the fixed-rate pairs, PostgreSQL's one-process pair) ran in alternation with their servers kept up: ${a.rounds} rounds, each pair ${slices} (bench/pairs.ts). Such a row's figures are the median of its slices; its × by hand is the median of the per-round ratios with their min–max (bench/rounds.ts). ${others}`,
    scaled
      ? `- After those rounds, each dialect's update at the large store beside the same at the small store, in ${a.scaleRounds} rounds of their own: the small store's update row is the median of its ${a.rounds + a.scaleRounds} slices (${a.rounds} beside the by-hand update, ${a.scaleRounds} beside the large store), its × by hand from the ${a.rounds} rounds it shares with the by-hand update; the large store's ÷ the small store's is from the ${a.scaleRounds} rounds of their own.`
      : `- No large store was measured (BENCH_LARGE=0): no update at a second store size and no rounds of their own; each alternated row is the median of its ${a.rounds} slices.`,
  ];
}

/** Writes the run's markdown to `path` (when given) and returns the text printed at the end. */
export function writeResults(run: RunSummary, path: string | undefined): string {
  const { rows, sections, notes, load } = run;
  const { text, markdown } = table(rows);
  const alternation = run.alternation;
  const floor = spread(alternation?.diskFloor ?? []);
  const alternated = alternation && rows.some((r) => r.rounds);
  const verdictList = verdicts(rows, floor);
  const unmet = verdictList.filter((v) => !v.met);
  const cpu = cpus();
  const fmtLoad = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const failures = rows.filter((r) => r.probeFailure).map((r) => `- ${r.label}: first answer ${r.probeFailure}`);
  const sectionVerdicts = sections.flatMap((x) => x.verdicts.map((v) => ({ ...v, subject: x.title })));
  const md = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} (${((Date.now() - run.started) / 1000).toFixed(0)} s).`,
    '',
    `- Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}/${process.arch}.`,
    `- Load average (1/5/15 min) before: ${fmtLoad(run.load0)}; after: ${fmtLoad(loadavg())}. The load generator shares the CPUs with the server.`,
    `- Every row: ${load.connections} connections; autocannon in the bench process, each server in its own process on 127.0.0.1, warmed up with ${run.warmupSeconds} s of its requests.`,
    ...(alternated
      ? alternationLines(alternation, rows, load.durationSeconds, run.warmupSeconds)
      : [`- Each row ran once for ${load.durationSeconds} s after ${run.warmupSeconds} s of the same requests as warm-up.`]),
    ...(floor
      ? [
          `- The disk's floor for a durable commit (bench/fsync-latency.mjs, overwrite + fdatasync of 2 WAL frames, once a round on the stores' directory): p99 ${formatSpread(floor, 2, ' ms')}.`,
        ]
      : []),
    `- custgate: \`bin/custgate.js serve\`, NODE_ENV=production, SQLite synchronous=${run.synchronous}, a fresh file per store size. Updates and retrieves are spread uniformly over the stored customers; each update sends the dialect's realistic example body with a new name, so every one writes.`,
    ...notes.map((n) => `- ${n}`),
    '- × by hand: req/s over the same work written by hand on the same stack in this run (bench/by-hand-server.ts): a retrieve over the by-hand retrieve, an update over the by-hand update with synchronous=NORMAL (SQLite) or on PostgreSQL.',
    "- Other ratios are to the hello-world row of the same run; p50/p99 are latencies in ms; peak RSS is the server process's high-water mark during the row; server CPU is the server process's user+system time per request (less sensitive to a busy machine than req/s).",
    '',
    '## Results',
    '',
    markdown,
    '',
    '## Targets',
    '',
    unmet.length === 0 ? 'Every target met.' : `${unmet.length} target(s) not met.`,
    '',
    ...verdictLines(verdictList),
    ...(failures.length > 0 ? ['', '## Failed rows', '', ...failures] : []),
    '',
    ...sections.map(sectionMarkdown),
  ].join('\n');
  if (path) writeFileSync(path, md);
  const sectionText = sections.map(sectionMarkdown).join('\n');
  const unmetSections = sectionVerdicts.filter((v) => !v.met).length;
  return `${rows.length > 0 ? `${text}\n\n${verdictLines(verdictList).join('\n')}\n\n` : ''}${sectionText}${unmetSections > 0 ? `\n${unmetSections} target(s) of the sections above not met.` : ''}`;
}
