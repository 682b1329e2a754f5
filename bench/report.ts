import type { Measured } from './load.ts';

export type Backend = 'sqlite' | 'postgres';

export interface Row {
  readonly label: string;
  readonly kind: 'baseline' | 'mock' | 'update' | 'retrieve';
  readonly backend?: Backend;
  /** '' for the default configuration, else what differs (the label's suffix). */
  readonly variant?: string;
  readonly dialect?: string;
  readonly customers?: number;
  readonly measured: Measured;
  readonly peakRss: number | undefined;
  /** Server CPU time (user + system) per request, µs. */
  readonly cpuPerRequest: number | undefined;
  /** What a single request of this row answered when it was not 2xx. */
  readonly probeFailure?: string;
}

// Issue #18's targets. PostgreSQL (on the same two cores) has its own, lower ones.
export const targets = {
  updateShareOfHello: 0.25,
  retrieveShareOfHello: 0.5,
  p99Ms: 10,
  largeShareOfSmall: 0.9,
  peakRssBytes: 150 * 1024 * 1024,
  postgresUpdateShareOfHello: 0.1,
  postgresP99Ms: 25,
  updateOverPrism: 5,
} as const;

export interface Verdict {
  readonly target: string;
  readonly subject: string;
  readonly value: string;
  readonly met: boolean;
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const ratio = (value: number, base: number) => (base > 0 ? `${(value / base).toFixed(2)}×` : '–');
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function cells(row: Row, hello: Row | undefined): string[] {
  const m = row.measured;
  const h = hello?.measured;
  const rss = row.peakRss === undefined ? 'n/a' : `${mb(row.peakRss).toFixed(0)}`;
  const hRss = hello?.peakRss;
  return [
    row.label,
    row.customers === undefined ? '–' : int(row.customers),
    `${int(m.rps)} (${h ? ratio(m.rps, h.rps) : '–'})`,
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
  'p50 ms (× hello)',
  'p99 ms (× hello)',
  'errors',
  'peak RSS MB (× hello)',
  'server CPU µs/req (× hello)',
];

export function table(rows: readonly Row[]): { readonly text: string; readonly markdown: string } {
  const hello = rows.find((r) => r.kind === 'baseline');
  const body = rows.map((r) => cells(r, hello));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: readonly string[]) => cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const text = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  const md = (cols: readonly string[]) => `| ${cols.join(' | ')} |`;
  const markdown = [md(header), md(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...body.map(md)].join('\n');
  return { text, markdown };
}

export function verdicts(rows: readonly Row[]): Verdict[] {
  const hello = rows.find((r) => r.kind === 'baseline');
  const out: Verdict[] = [];
  const served = rows.filter((r) => r.kind === 'update' || r.kind === 'retrieve');
  const mock = rows.find((r) => r.kind === 'mock');
  for (const r of rows) {
    out.push({
      target: 'no errors (non-2xx, socket errors)',
      subject: r.label,
      value: int(r.measured.errors),
      met: r.measured.errors === 0,
    });
  }
  const share = (r: Row) => (hello ? r.measured.rps / hello.measured.rps : 0);
  // The default configuration's rows are held to the targets; a variant (synchronous=NORMAL) is
  // shown for comparison only.
  const judged = served.filter((r) => !r.variant || r.backend === 'postgres');
  for (const r of judged) {
    const pgRow = r.backend === 'postgres';
    if (pgRow && (r.kind !== 'update' || !r.label.includes('--workers'))) continue;
    const goal = pgRow
      ? targets.postgresUpdateShareOfHello
      : r.kind === 'update'
        ? targets.updateShareOfHello
        : targets.retrieveShareOfHello;
    out.push({
      target: `${r.kind} ≥ ${goal * 100}% of hello-world req/s`,
      subject: r.label,
      value: `${(share(r) * 100).toFixed(1)}%`,
      met: share(r) >= goal,
    });
  }
  if (mock) {
    for (const r of judged.filter((j) => j.kind === 'update' && j.backend !== 'postgres')) {
      const times = mock.measured.rps > 0 ? r.measured.rps / mock.measured.rps : 0;
      out.push({
        target: `update ≥ ${targets.updateOverPrism}× Prism's req/s`,
        subject: r.label,
        value: `${times.toFixed(1)}×`,
        met: times >= targets.updateOverPrism,
      });
    }
  }
  for (const r of judged) {
    const goal = r.backend === 'postgres' ? targets.postgresP99Ms : targets.p99Ms;
    out.push({
      target: `p99 ≤ ${goal} ms at the row's connections`,
      subject: r.label,
      value: `${r.measured.p99.toFixed(2)} ms`,
      met: r.measured.p99 <= goal,
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
      const share = l.measured.rps / s.measured.rps;
      out.push({
        target: `update at ${int(large)} ≥ ${targets.largeShareOfSmall * 100}% of update at ${int(small)}`,
        subject: `${dialect}`,
        value: `${(share * 100).toFixed(1)}%`,
        met: share >= targets.largeShareOfSmall,
      });
    }
  }
  for (const r of judged) {
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

export function verdictLines(list: readonly Verdict[]): string[] {
  return list.map((v) => `- [${v.met ? 'x' : ' '}] ${v.target} — ${v.subject}: ${v.value}${v.met ? '' : ' **NOT MET**'}`);
}
