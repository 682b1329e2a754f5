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
      ? [
          `- The rows a target compares (by hand and custgate, each dialect's update at both store sizes, the fixed-rate pairs, PostgreSQL's one-process pair) ran in alternation with their servers kept up: ${alternation.rounds} rounds, each pair ${alternation.sliceSeconds} s a side back to back (each slice after ${alternation.sliceWarmupSeconds} s of its own requests, unmeasured), the order reversed every other round; the large store's update beside the small store's in ${alternation.scaleRounds} rounds of their own after the others (bench/pairs.ts). Such a row's figures are the median of its rounds; its × by hand is the median of the per-round ratios with their min–max (bench/rounds.ts). The other rows ran once for ${load.durationSeconds} s after ${run.warmupSeconds} s of warm-up.`,
        ]
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
