import type { PacedDetail } from './load.ts';
import { slowMs } from './load.ts';

// Where a paced row's slow requests (over 5 ms) come from, counted rather than timed: for each,
// whether something that blocks a request was going on while it waited — a commit (or the writer's
// end of a checkpoint) of 2 ms or more, a pause of the server's main thread of 2 ms or more (a
// garbage collection, or a late timer: bench/main-thread-probe.mjs), a send the pacer itself made
// 2 ms or more late. A request can have several; "none" is the tail none of them explains.

/** A cause that lasts at least this long counts (a request's p50 is about 2 ms). */
const causeMs = 2;

export interface Window {
  readonly label: string;
  readonly startedMs: number;
  readonly endedMs: number;
}

interface Span {
  readonly start: number;
  readonly ms: number;
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
export const spread = (ms: number[]) => {
  ms.sort((a, b) => a - b);
  return `p50 ${pct(ms, 0.5).toFixed(2)} ms, p99 ${pct(ms, 0.99).toFixed(2)}, max ${(ms.at(-1) ?? 0).toFixed(2)}`;
};

/** The lines of a trace (kind,start ms since the epoch,ms,detail) inside the window. */
function spans(text: string, window: Window, kinds: readonly string[]): Map<string, (Span & { detail: string })[]> {
  const found = new Map<string, (Span & { detail: string })[]>(kinds.map((k) => [k, []]));
  for (const line of text.split('\n')) {
    const [kind, at, ms, ...detail] = line.split(',');
    const start = Number(at);
    const list = kind ? found.get(kind) : undefined;
    if (!list || start < window.startedMs || start > window.endedMs) continue;
    list.push({ start, ms: Number(ms), detail: detail.join(',') });
  }
  return found;
}

/** The writer thread's trace (CUSTGATE_SQLITE_WRITER_TRACE) over one row's measured window, as one line. */
export function summarizeTrace(text: string, window: Window): string {
  const found = spans(text, window, ['commit', 'checkpoint', 'finish']);
  const commits = found.get('commit') ?? [];
  const checkpoints = (found.get('checkpoint') ?? []).map((s) => s.ms);
  const finishes = (found.get('finish') ?? []).map((s) => s.ms);
  let units = 0;
  let walMax = 0;
  for (const { detail } of commits) {
    const [n, wal] = detail.split('/');
    units += Number(n);
    walMax = Math.max(walMax, Number(wal));
  }
  const ms = commits.map((c) => c.ms);
  const slow = ms.filter((m) => m > slowMs).length;
  return [
    `${window.label}: ${commits.length} commits (${(units / Math.max(1, commits.length)).toFixed(2)} updates each), ${spread(ms)}, ${slow} over 5 ms`,
    `${checkpoints.length} checkpoints off the commit path${checkpoints.length > 0 ? ` (${spread(checkpoints)})` : ''}`,
    ...(finishes.length > 0 ? [`${finishes.length} finished on the writer (${spread(finishes)})`] : []),
    `WAL up to ${(walMax / 1024 / 1024).toFixed(1)} MB`,
  ].join('; ');
}

const overlaps = (from: number, to: number, list: readonly Span[]) => list.some((s) => s.start < to && s.start + s.ms > from);

type Slow = PacedDetail['slow'][number];

/** Each slow request with what it overlapped: a slow commit, a main-thread pause (a GC?), a late send. */
function causes(window: Window, paced: PacedDetail, writerTrace: string, mainTrace: string) {
  const writer = spans(writerTrace, window, ['commit', 'finish']);
  const blocking = [...(writer.get('commit') ?? []), ...(writer.get('finish') ?? [])].filter((s) => s.ms >= causeMs);
  const main = spans(mainTrace, window, ['gc', 'stall']);
  const gcs = main.get('gc') ?? [];
  const stalls = main.get('stall') ?? [];
  const pauses = [...gcs, ...stalls].filter((s) => s.ms >= causeMs);
  const gcPauses = gcs.filter((s) => s.ms >= causeMs);
  const each = paced.slow.map((request: Slow) => {
    const end = request.due + request.ms;
    const commit = overlaps(request.due, end, blocking);
    const thread = overlaps(request.due, end, pauses);
    const late = request.late >= causeMs;
    return { request, commit, thread, late, gc: overlaps(request.due, end, gcPauses), none: !commit && !thread && !late };
  });
  return { each, gcs, stalls };
}

/** The slow requests none of the known causes explains (the "none of these" of `attributeTail`). */
export function unexplained(window: Window, paced: PacedDetail, writerTrace: string, mainTrace: string): Slow[] {
  return causes(window, paced, writerTrace, mainTrace)
    .each.filter((c) => c.none)
    .map((c) => c.request);
}

/** One line: the row's slow requests by cause, the main thread's pauses and the pacer's lateness. */
export function attributeTail(window: Window, paced: PacedDetail, writerTrace: string, mainTrace: string): string {
  const { each, gcs, stalls } = causes(window, paced, writerTrace, mainTrace);
  const count = (key: 'commit' | 'thread' | 'late' | 'gc' | 'none') => each.filter((c) => c[key]).length;
  const [commit, thread, late, gc, none] = [count('commit'), count('thread'), count('late'), count('gc'), count('none')];
  const gcMs = gcs.map((s) => s.ms);
  const kinds = new Map<string, number>();
  for (const { detail } of gcs) kinds.set(detail, (kinds.get(detail) ?? 0) + 1);
  const byKind = [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
  const stallMs = stalls.map((s) => s.ms);
  return [
    `${window.label}: ${paced.slow.length} requests over ${slowMs} ms; during a commit of ${causeMs} ms or more ${commit}, a main-thread pause of ${causeMs} ms or more ${thread} (a GC ${gc}), sent ${causeMs} ms or more late ${late}, none of these ${none}`,
    `GC ${gcs.length} pauses (${gcs.length > 0 ? `${byKind}; ${spread(gcMs)}` : 'none'}), ${gcMs.filter((m) => m > slowMs).length} over 5 ms`,
    `main thread late over ${causeMs} ms ${stalls.length} times${stalls.length > 0 ? ` (${spread(stallMs)})` : ''}, ${stallMs.filter((m) => m > slowMs).length} over 5 ms`,
    `pacer sent late p99 ${paced.lateP99.toFixed(2)} ms, max ${paced.lateMax.toFixed(2)}, ${paced.lateOver5} over 5 ms`,
  ].join('; ');
}
