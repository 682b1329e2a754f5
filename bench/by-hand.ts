import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { measure } from './load.ts';
import { type Child, scriptArgs, startChild } from './processes.ts';
import type { Backend } from './report.ts';
import { type RowContext, row } from './rows.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';

// The same work custgate does, written by hand on the same stack (bench/by-hand-server.ts, issue
// #30): on SQLite with synchronous=NORMAL and FULL, and on PostgreSQL.

export type ByHandTag = 'sync=NORMAL' | 'sync=FULL' | 'PostgreSQL';

/** The same work written by hand, running and warmed up: Wooshpay's requests with its own key. */
export interface ByHandServer {
  readonly tag: ByHandTag;
  readonly backend: Backend;
  readonly child: Child;
  readonly url: string;
  readonly dialect: AnyDialect;
  readonly credentials: IssuedCredentials;
  stop(): Promise<void>;
}

export async function startByHand(ctx: RowContext, dir: string, customers: number, tag: ByHandTag): Promise<ByHandServer | undefined> {
  const { load, warmupSeconds, postgresUrl } = ctx;
  const wooshpay = ctx.registered.find((d) => d.name === 'wooshpay');
  if (!wooshpay || (tag === 'PostgreSQL' && !postgresUrl)) return undefined;
  const key = `sk_test_${randomBytes(12).toString('hex')}`;
  const credentials = { secret_key: key } as unknown as IssuedCredentials;
  const schema = `custgate_byhand_${randomBytes(4).toString('hex')}`;
  const file = (name: string) => join(dir, `by-hand-${name}-${randomBytes(4).toString('hex')}.db`);
  const args = tag === 'PostgreSQL' ? ['postgres', postgresUrl!, schema] : ['sqlite', file(tag), tag === 'sync=FULL' ? 'full' : 'normal'];
  ctx.log(`the same work by hand (${tag}) with ${customers.toLocaleString('en-US')} customers`);
  const child = await startChild(
    [...scriptArgs('bench/by-hand-server.ts', ctx.installed), String(customers), ...args],
    { BENCH_BY_HAND_KEY: key },
    /"port"/,
    { timeoutMs: 300_000 },
  );
  const stop = async () => {
    await child.stop();
    if (tag !== 'PostgreSQL') return;
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
  };
  const { port } = JSON.parse(child.line) as { port: number };
  const url = `http://127.0.0.1:${port}`;
  try {
    if (warmupSeconds > 0)
      await measure(url, updateWorkload(wooshpay, credentials, customers, 3), { ...load, durationSeconds: warmupSeconds });
  } catch (error) {
    await stop();
    throw error;
  }
  return { tag, backend: tag === 'PostgreSQL' ? 'postgres' : 'sqlite', child, url, dialect: wooshpay, credentials, stop };
}

/** The same work written by hand (issue #30): the baseline custgate's rows are compared with. */
export async function byHand(
  ctx: RowContext,
  dir: string,
  customers: number,
  backends: readonly Backend[] = ['sqlite', 'postgres'],
  saturate = true,
) {
  const { fixedRate } = ctx;
  const tags: ByHandTag[] = backends.includes('sqlite') ? ['sync=NORMAL', 'sync=FULL'] : [];
  if (backends.includes('postgres')) tags.push('PostgreSQL');
  for (const tag of tags) {
    const server = await startByHand(ctx, dir, customers, tag);
    if (!server) continue;
    const { child, url, dialect, credentials } = server;
    try {
      const meta = { kind: 'by-hand', dialect: 'wooshpay', customers, backend: server.backend } as const;
      if (saturate) await row(ctx, child, url, `by hand update (${tag})`, updateWorkload(dialect, credentials, customers, 5), meta);
      if (saturate && tag !== 'sync=FULL')
        await row(ctx, child, url, `by hand retrieve (${tag})`, retrieveWorkload(dialect, credentials, customers, 5), meta);
      // The machine's floor for the fixed-rate p99: the same updates by hand at the same rate.
      if (fixedRate > 0) {
        const work = updateWorkload(dialect, credentials, customers, 6);
        await row(ctx, child, url, `by hand update (${tag}) at ${fixedRate} req/s`, work, { ...meta, rate: fixedRate });
      }
    } finally {
      await server.stop();
    }
  }
}
