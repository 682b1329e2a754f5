import { readFileSync } from 'node:fs';
import { dialects } from '../dialects/index.ts';
import { openStore } from '../src/entries/node.ts';
import { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { UpstreamPort } from '../src/outbox/types.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { pendingDelivery } from '../src/store/index.ts';
import { customerIds } from './fixtures.ts';

// The gateway's own cost of one delivery, without the provider: the real Dispatcher and store over
// a preloaded SQLite file (bench/preload.ts), with a port that answers "delivered" at once. CPU
// (process.cpuUsage, every thread) and read system calls (/proc/self/io) per delivery, at a backlog
// of 100 and of BACKLOG. Usage: tsx bench/drain-cost.ts <file> <tenant> <backlog> <sample>
const [file, tenant, backlogArg, sampleArg] = process.argv.slice(2);
const backlog = Number(backlogArg);
const sample = Number(sampleArg ?? 500);
const store = await openStore({ ...process.env, DATABASE_URL: `file:${file}` });
const db = queryBuilder(store.executor.backend);
const upstream = 'up_cost';
let delivered = 0;
let stopAt = Number.POSITIVE_INFINITY;
const port: UpstreamPort = {
  deliver: async () => {
    delivered++;
    return { kind: 'delivered' };
  },
  read: async () => undefined,
  expected: (_u, _c, fields) => fields,
} as UpstreamPort;
const spent = new Map<string, { us: number; reads: number; calls: number }>();
if (process.env.DRAIN_COST_TRACE) {
  const wrap = (target: Record<string, unknown>, name: string, label: string) => {
    const inner = (target[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
    target[name] = async (...args: unknown[]) => {
      const r0 = syscr();
      const t0 = performance.now();
      try {
        return await inner(...args);
      } finally {
        const s0 = spent.get(label) ?? { us: 0, reads: 0, calls: 0 };
        s0.us += (performance.now() - t0) * 1000;
        s0.reads += syscr() - r0;
        s0.calls++;
        spent.set(label, s0);
      }
    };
  };
  const outbox = store.outbox as unknown as Record<string, unknown>;
  for (const m of ['due', 'claimMany', 'settle', 'lastDelivered']) wrap(outbox, m, m);
  wrap(store as unknown as Record<string, unknown>, 'findCustomer', 'findCustomer');
}
const dispatcher = new Dispatcher({
  store,
  port,
  replicas: async () => [{ id: upstream, dialect: 'wooshpay', mode: 'mirror' }],
  dialects: Object.values(dialects),
});
async function seed(from: number, to: number): Promise<void> {
  const at = new Date().toISOString();
  for (let start = from; start < to; start += 500) {
    const rows = [];
    for (let i = start; i < Math.min(to, start + 500); i++) {
      rows.push(
        pendingDelivery({ upstream_id: upstream, customer_id: customerIds(i).uuid, version: 1, tenant_id: tenant!, action: 'create' }, at),
      );
    }
    await store.executor.run(db.insertInto('outbox').values(rows).compile());
  }
}
const syscr = () => Number(/syscr: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
async function measure(label: string, n: number): Promise<void> {
  delivered = 0;
  stopAt = n;
  spent.clear();
  const deadline = { valueOf: () => (delivered >= stopAt ? 0 : Number.POSITIVE_INFINITY) } as unknown as number;
  const cpu = process.cpuUsage();
  const reads = syscr();
  const t = performance.now();
  await dispatcher.drain({ deadline });
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const per = (used.user + used.system) / delivered;
  console.log(
    `${[...spent].map(([k, v]) => `  ${k}: ${v.calls} calls, ${(v.us / v.calls).toFixed(0)} µs, ${(v.reads / v.calls).toFixed(1)} reads each\n`).join('')}${label}: ${delivered} delivered, ${per.toFixed(0)} µs CPU each (user ${(used.user / delivered).toFixed(0)}), ${((syscr() - reads) / delivered).toFixed(1)} read syscalls each, ${(delivered / (ms / 1000)).toFixed(0)}/s wall`,
  );
}
await seed(0, 100);
await measure('backlog 100', 100);
await seed(100, 200);
await measure('backlog 100 again', 100);
await seed(200, 200 + backlog);
await measure(`backlog ${backlog}`, sample);
await measure(`backlog ${backlog} - ${sample}`, sample);
await store.executor.close();
