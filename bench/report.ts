import type { Measured } from './load.ts';
import { formatSpread, type Round, roundRatios, type Spread, spread } from './rounds.ts';

export type Backend = 'sqlite' | 'postgres';

export interface Row {
  readonly label: string;
  /** `baseline` is hello-world; `by-hand` the same work written by hand (bench/by-hand-server.ts). */
  readonly kind: 'baseline' | 'by-hand' | 'mock' | 'update' | 'retrieve';
  readonly backend?: Backend;
  /** '' for the default configuration, else what differs (the label's suffix). */
  readonly variant?: string;
  readonly dialect?: string;
  readonly customers?: number;
  readonly measured: Measured;
  readonly peakRss: number | undefined;
  /** Server CPU time (user + system) per request, µs. */
  readonly cpuPerRequest: number | undefined;
  /** The fixed offered load of a latency row (requests per second); absent for saturation rows. */
  readonly rate?: number;
  /** What a single request of this row answered when it was not 2xx. */
  readonly probeFailure?: string;
  /** An alternated row's slices, one per round (bench/alternate.ts); `measured` is their median. */
  readonly rounds?: readonly Round[];
  /** The row it was measured in alternation with, round by round: its ratios are taken per round. */
  readonly against?: { readonly label: string; readonly kind: Row['kind']; readonly rounds: readonly Round[] };
}

// Issue #30's targets: custgate against the same work written by hand on the same stack, in the
// same run (ratios, so a busy machine moves both sides), and a p99 at a fixed offered load
// (at saturation latency is only queueing: connections / throughput).
export const targets = {
  retrieveShareOfByHand: 0.8,
  updateShareOfByHandNormal: 0.8,
  fixedRate: 500,
  fixedRateP99Ms: 5,
  largeShareOfSmall: 0.9,
  peakRssBytes: 150 * 1024 * 1024,
  postgresShareOfByHand: 0.7,
} as const;

/**
 * The by-hand row a custgate row is compared with: a retrieve with the by-hand retrieve on the same
 * backend; an update with the by-hand update with synchronous=NORMAL on SQLite (durability is to
 * come for free through the group commit), with the by-hand update on PostgreSQL.
 */
export function byHandFor(row: Row, rows: readonly Row[]): Row | undefined {
  if (row.kind !== 'update' && row.kind !== 'retrieve') return undefined;
  const backend = row.backend ?? 'sqlite';
  return rows.find(
    (r) =>
      r.kind === 'by-hand' &&
      r.rate === undefined &&
      (r.backend ?? 'sqlite') === backend &&
      r.label.includes(row.kind) &&
      (backend === 'postgres' || row.kind === 'retrieve' || r.label.includes('NORMAL')),
  );
}

export interface Verdict {
  readonly target: string;
  readonly subject: string;
  readonly value: string;
  readonly met: boolean;
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const ratio = (value: number, base: number) => (base > 0 ? `${(value / base).toFixed(2)}×` : '–');
const int = (n: number) => Math.round(n).toLocaleString('en-US');

const rps = (m: Measured) => m.rps;
const p99 = (m: Measured) => m.p99;

/** A row alternated with a by-hand row: its ratio to it per round (req/s, or p99 at a fixed rate). */
export function alternatedShare(row: Row): Spread | undefined {
  if (row.against?.kind !== 'by-hand' || !row.rounds) return undefined;
  return roundRatios(row.rounds, row.against.rounds, row.rate === undefined ? rps : p99);
}

function byHandCell(row: Row, byHand: Row | undefined): string {
  const share = alternatedShare(row);
  if (share) return `${row.rate === undefined ? '' : 'p99 '}${formatSpread(share)}`;
  return byHand ? ratio(row.measured.rps, byHand.measured.rps) : '–';
}

function cells(row: Row, hello: Row | undefined, byHand: Row | undefined): string[] {
  const m = row.measured;
  const h = hello?.measured;
  const rss = row.peakRss === undefined ? 'n/a' : `${mb(row.peakRss).toFixed(0)}`;
  const hRss = hello?.peakRss;
  return [
    row.label,
    row.customers === undefined ? '–' : int(row.customers),
    `${int(m.rps)} (${h ? ratio(m.rps, h.rps) : '–'})`,
    byHandCell(row, byHand),
    `${m.p50.toFixed(2)} (${h ? ratio(m.p50, h.p50) : '–'})`,
    `${m.p99.toFixed(2)} (${h ? ratio(m.p99, h.p99) : '–'})`,
    m.errors === 0 ? '0' : `${int(m.errors)} FAILED`,
    `${rss} (${row.peakRss !== undefined && hRss !== undefined ? ratio(row.peakRss, hRss) : '–'})`,
    row.cpuPerRequest === undefined
      ? 'n/a'
      : `${int(row.cpuPerRequest)} (${hello?.cpuPerRequest ? ratio(row.cpuPerRequest, hello.cpuPerRequest) : '–'})`,
  ];
}

const header = [
  'row',
  'customers',
  'req/s (× hello)',
  '× by hand',
  'p50 ms (× hello)',
  'p99 ms (× hello)',
  'errors',
  'peak RSS MB (× hello)',
  'server CPU µs/req (× hello)',
];

export function table(rows: readonly Row[]): { readonly text: string; readonly markdown: string } {
  const hello = rows.find((r) => r.kind === 'baseline');
  const body = rows.map((r) => cells(r, hello, byHandFor(r, rows)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: readonly string[]) => cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const text = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  const md = (cols: readonly string[]) => `| ${cols.join(' | ')} |`;
  const markdown = [md(header), md(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...body.map(md)].join('\n');
  return { text, markdown };
}

/**
 * The targets' verdicts. An alternated row is judged by the median of its per-round ratios to the
 * row it alternated with; any other row by the ratio of the two rows' figures. `diskFloor` is the
 * disk's p99 for a durable commit measured in the same run (bench/alternate.ts), shown beside the
 * fixed-rate p99s.
 */
export function verdicts(rows: readonly Row[], diskFloor?: Spread): Verdict[] {
  const out: Verdict[] = [];
  const served = rows.filter((r) => r.kind === 'update' || r.kind === 'retrieve');
  for (const r of rows) {
    out.push({
      target: 'no errors (non-2xx, socket errors)',
      subject: r.label,
      value: int(r.measured.errors),
      met: r.measured.errors === 0,
    });
  }
  // The default configuration's saturation rows (and PostgreSQL's one-process rows) are held to
  // the by-hand targets; the other variants are shown for comparison only, and so is a large
  // store's row alternated with the small store's (its target is its share of that row, below).
  const judged = served.filter(
    (r) => r.rate === undefined && (!r.variant || r.label.includes('1 process')) && r.against?.kind !== 'update',
  );
  for (const r of judged) {
    const goal =
      r.backend === 'postgres'
        ? targets.postgresShareOfByHand
        : r.kind === 'retrieve'
          ? targets.retrieveShareOfByHand
          : targets.updateShareOfByHandNormal;
    const alternated = alternatedShare(r);
    if (alternated && r.against) {
      out.push({
        target: `${r.kind} ≥ ${goal}× ${r.against.label}, median of ${alternated.n} alternated rounds`,
        subject: r.label,
        value: formatSpread(alternated),
        met: alternated.median >= goal,
      });
      continue;
    }
    const base = byHandFor(r, rows);
    if (!base) continue;
    const share = base.measured.rps > 0 ? r.measured.rps / base.measured.rps : 0;
    out.push({
      target: `${r.kind} ≥ ${goal}× ${base.label}`,
      subject: r.label,
      value: `${share.toFixed(2)}×`,
      met: share >= goal,
    });
  }
  const floor = diskFloor ? `; the disk's p99 for a durable commit ${formatSpread(diskFloor, 2, ' ms')}` : '';
  for (const r of served.filter((s) => s.rate !== undefined)) {
    const own = spread(r.rounds?.map((x) => x.measured.p99) ?? []);
    const share = alternatedShare(r);
    const beside = share && r.against ? `; ${r.against.label} ${combineP99(r.against.rounds)} ms, ÷ it ${formatSpread(share)}` : '';
    out.push({
      target: `p99 ≤ ${targets.fixedRateP99Ms} ms at ${r.rate} req/s (beside: the by-hand app at the same rate, the disk's floor)`,
      subject: r.label,
      value: `${own && own.n > 1 ? formatSpread(own, 2, ' ms') : `${r.measured.p99.toFixed(2)} ms`}${beside}${floor}`,
      met: r.measured.p99 <= targets.fixedRateP99Ms,
    });
  }
  const updates = served.filter((r) => r.kind === 'update' && !r.variant);
  const sizes = [...new Set(updates.map((r) => r.customers ?? 0))].sort((a, b) => a - b);
  const small = sizes[0];
  const large = sizes.at(-1);
  if (small !== undefined && large !== undefined && large > small) {
    for (const dialect of new Set(updates.map((r) => r.dialect))) {
      const s = updates.find((r) => r.dialect === dialect && r.customers === small);
      const l = updates.find((r) => r.dialect === dialect && r.customers === large);
      if (!s || !l) continue;
      const target = `update at ${int(large)} ≥ ${targets.largeShareOfSmall * 100}% of update at ${int(small)}`;
      const alternated = l.against?.kind === 'update' && l.rounds ? roundRatios(l.rounds, l.against.rounds, rps) : undefined;
      const share = alternated?.median ?? l.measured.rps / s.measured.rps;
      const percent = (v: number) => (v * 100).toFixed(1);
      out.push({
        target: alternated ? `${target}, median of ${alternated.n} alternated rounds` : target,
        subject: `${dialect}`,
        value:
          alternated && alternated.n > 1
            ? `${percent(share)}% (${percent(alternated.min)}–${percent(alternated.max)})`
            : `${percent(share)}%`,
        met: share >= targets.largeShareOfSmall,
      });
    }
  }
  // The memory target is the installed (compiled) server's.
  for (const r of served.filter((s) => s.label.includes('compiled'))) {
    const rss = r.peakRss;
    out.push({
      target: `server peak RSS ≤ ${mb(targets.peakRssBytes)} MB`,
      subject: r.label,
      value: rss === undefined ? 'n/a' : `${mb(rss).toFixed(0)} MB`,
      met: rss !== undefined && rss <= targets.peakRssBytes,
    });
  }
  return out;
}

function combineP99(rounds: readonly Round[]): string {
  return (spread(rounds.map((r) => r.measured.p99))?.median ?? Number.NaN).toFixed(2);
}

export function verdictLines(list: readonly Verdict[]): string[] {
  return list.map((v) => `- [${v.met ? 'x' : ' '}] ${v.target} — ${v.subject}: ${v.value}${v.met ? '' : ' **NOT MET**'}`);
}
