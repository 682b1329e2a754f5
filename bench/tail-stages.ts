import type { PacedDetail } from './load.ts';

// Which stage a slow request waited in (issue #30): the pacer names each request (`x-request-id:
// pace-<n>`, bench/load.ts), the server traces each update's stages under that id
// (CUSTGATE_REQUEST_TRACE, src/request-trace.ts), and a slow request is classed by the longest of
// the intervals between its marks, from the moment it was due to the moment its answer was read.

/** The intervals, each from the mark before it; the first starts when the request was due. */
const intervals = [
  ['pacer', 'the pacer sent it late'],
  ['arrival', 'sent → the server parsed its headers'],
  ['auth+body', 'authenticated and its body read'],
  ['to read', 'body → the write read sent to the writer'],
  ['read queued', "the read waiting in the writer's port"],
  ['read', 'the read on the writer, and its rows back'],
  ['plan', 'rows back → the write handed to the writer (the patch, the group commit turn)'],
  ['commit queued', "handed → the writer began its transaction (the writer's port and the commit before)"],
  ['commit', 'the transaction and its fsync'],
  ['back', 'commit done → the answer back on the main thread'],
  ['answer', 'back → the response written (render, headers, the socket)'],
  ['delivery', 'written → the pacer read the answer'],
] as const;

export type Stage = (typeof intervals)[number][0];

/** The trace's lines (`request,<id>,<received>,…,<written>`, src/request-trace.ts) by id. */
function marksById(trace: string): Map<string, number[]> {
  const byId = new Map<string, number[]>();
  for (const line of trace.split('\n')) {
    const [kind, id, ...marks] = line.split(',');
    if (kind === 'request' && id)
      byId.set(
        id,
        marks.map((m) => (m === '' ? Number.NaN : Number(m))),
      );
  }
  return byId;
}

/** Each interval's length for one request, or undefined when the trace lacks it (no read, not sampled). */
export function stagesOf(request: PacedDetail['slow'][number], marks: readonly number[]): Map<Stage, number> | undefined {
  const points = [request.due, request.due + request.late, ...marks, request.due + request.ms];
  if (points.length !== intervals.length + 1 || points.some((p) => !Number.isFinite(p))) return undefined;
  return new Map(intervals.map(([name], i) => [name, points[i + 1]! - points[i]!]));
}

/** One line: how many slow requests waited longest in each stage, with the median of that stage among them. */
export function tailStages(label: string, slow: PacedDetail['slow'], trace: string): string {
  const byId = marksById(trace);
  const classes = new Map<Stage, number[]>();
  let untraced = 0;
  for (const request of slow) {
    const marks = request.id === undefined ? undefined : byId.get(request.id);
    const stages = marks && stagesOf(request, marks);
    if (!stages) {
      untraced++;
      continue;
    }
    const [longest, ms] = [...stages].reduce((a, b) => (b[1] > a[1] ? b : a));
    classes.set(longest, [...(classes.get(longest) ?? []), ms]);
  }
  const median = (ms: number[]) => ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? 0;
  const counted = intervals
    .filter(([name]) => classes.has(name))
    .map(([name]) => {
      const ms = classes.get(name)!;
      return `${name} ${ms.length} (median ${median(ms).toFixed(2)} ms)`;
    });
  return `${label}: ${slow.length} by longest stage: ${counted.length > 0 ? counted.join(', ') : 'none traced'}${untraced > 0 ? `; ${untraced} without a full trace` : ''}`;
}

/** What each stage name means, for the report's notes. */
export const stageLegend = intervals.map(([name, meaning]) => `${name}: ${meaning}`).join('; ');
