// `DATABASE_URL=postgres://… node --import tsx bench/pg-statements.ts [customers] [updates] > /dev/null`:
// the statements one Wooshpay update and one retrieve send to PostgreSQL (issue #30), counted by
// wrapping node-postgres' `Client.prototype.query` in the gateway's own process: a count, so the
// machine's load does not move it. The tenant and customers are preloaded first (bench/preload.ts).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dialects } from '../dialects/index.ts';
import { inProcessGateway } from './in-process.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';

const [customersText = '200', updatesText = '200'] = process.argv.slice(2);
const customers = Number(customersText);
const jwtSecret = 'a'.repeat(64);
// A fresh schema per run, as bench/rows.ts makes one, dropped at the end.
const schema = `custgate_bench_${randomBytes(4).toString('hex')}`;
const env = { ...process.env, NODE_ENV: 'production', CUSTGATE_JWT_SECRET: jwtSecret, CUSTGATE_PG_SCHEMA: schema };
const preloaded = JSON.parse(
  execFileSync('node', ['--import', 'tsx', 'bench/preload.ts', customersText], { env, encoding: 'utf8' }).trim().split('\n').at(-1)!,
) as { credentials: Record<string, never> };

const sent = new Map<string, number>();
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text: string };
  const text = typeof first === 'string' ? first : first.text;
  sent.set(text, (sent.get(text) ?? 0) + 1);
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const { app, store } = await inProcessGateway(env);
const credentials = preloaded.credentials.wooshpay!;
for (const [kind, work] of [
  ['update', updateWorkload(dialects.wooshpay, credentials, customers, 11)],
  ['retrieve', retrieveWorkload(dialects.wooshpay, credentials, customers, 12)],
] as const) {
  const n = Number(updatesText);
  // The first requests fill the process's caches (the key, the tenant's upstreams): not counted.
  for (let i = 0; i < 20; i++) {
    const { path, body } = work.next!();
    await (await app.request(path, { method: work.method, headers: work.headers, body: body ?? null })).arrayBuffer();
  }
  sent.clear();
  for (let i = 0; i < n; i++) {
    const { path, body } = work.next!();
    const res = await app.request(path, { method: work.method, headers: work.headers, body: body ?? null });
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  const total = [...sent.values()].reduce((a, b) => a + b, 0);
  process.stderr.write(`${kind}: ${(total / n).toFixed(2)} statements per request\n`);
  for (const [text, count] of sent) process.stderr.write(`  ${(count / n).toFixed(2)}  ${text.replace(/\s+/g, ' ').slice(0, 160)}\n`);
}
await store.executor.close();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
