import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { freePort } from '../src/entries/registered.ts';
import { measure } from './load.ts';
import { buildDist, root, startChild } from './processes.ts';
import type { Backend } from './report.ts';
import { custgate, type RowContext, row } from './rows.ts';
import { helloWorkload, retrieveWorkload, updateWorkload } from './workloads.ts';

// The `requests` group (hello-world, Prism, the same work by hand, custgate's rows) and the
// `scale` group (every dialect's update at the small and the large store, nothing else).

export async function hello(ctx: RowContext, saturate = true) {
  ctx.log('hello-world (bare Hono on @hono/node-server)');
  const child = await startChild(['--import', 'tsx', 'bench/hello-server.ts'], {}, /"port"/, { timeoutMs: 60_000 });
  try {
    const { port } = JSON.parse(child.line) as { port: number };
    const url = `http://127.0.0.1:${port}`;
    if (saturate) await row(ctx, child, url, 'hello-world', helloWorkload, { kind: 'baseline' });
    // The harness's own floor for the fixed-rate p99: the pacer and the HTTP stack, no work at all.
    if (ctx.fixedRate > 0)
      await row(ctx, child, url, `hello-world at ${ctx.fixedRate} req/s`, helloWorkload, { kind: 'baseline', rate: ctx.fixedRate });
  } finally {
    await child.stop();
  }
}

/** The same work written by hand (issue #30): the baseline custgate's rows are compared with. */
export async function byHand(
  ctx: RowContext,
  dir: string,
  customers: number,
  backends: readonly Backend[] = ['sqlite', 'postgres'],
  saturate = true,
) {
  const { load, warmupSeconds, postgresUrl, fixedRate } = ctx;
  const wooshpay = ctx.registered.find((d) => d.name === 'wooshpay');
  if (!wooshpay) return;
  const key = `sk_test_${randomBytes(12).toString('hex')}`;
  const credentials = { secret_key: key } as unknown as IssuedCredentials;
  const runs: { tag: string; args: string[]; retrieve: boolean; backend: Backend }[] = [
    { tag: 'sync=NORMAL', args: ['sqlite', join(dir, 'by-hand-normal.db'), 'normal'], retrieve: true, backend: 'sqlite' },
    { tag: 'sync=FULL', args: ['sqlite', join(dir, 'by-hand-full.db'), 'full'], retrieve: false, backend: 'sqlite' },
  ];
  const schema = `custgate_byhand_${randomBytes(4).toString('hex')}`;
  if (postgresUrl) runs.push({ tag: 'PostgreSQL', args: ['postgres', postgresUrl, schema], retrieve: true, backend: 'postgres' });
  for (const run of runs.filter((r) => backends.includes(r.backend))) {
    ctx.log(`the same work by hand (${run.tag}) with ${customers.toLocaleString('en-US')} customers`);
    const child = await startChild(
      ['--import', 'tsx', 'bench/by-hand-server.ts', String(customers), ...run.args],
      { BENCH_BY_HAND_KEY: key },
      /"port"/,
      { timeoutMs: 300_000 },
    );
    try {
      const { port } = JSON.parse(child.line) as { port: number };
      const url = `http://127.0.0.1:${port}`;
      const meta = { kind: 'by-hand', dialect: 'wooshpay', customers, backend: run.backend } as const;
      if (warmupSeconds > 0)
        await measure(url, updateWorkload(wooshpay, credentials, customers, 3), { ...load, durationSeconds: warmupSeconds });
      if (saturate) await row(ctx, child, url, `by hand update (${run.tag})`, updateWorkload(wooshpay, credentials, customers, 5), meta);
      if (saturate && run.retrieve)
        await row(ctx, child, url, `by hand retrieve (${run.tag})`, retrieveWorkload(wooshpay, credentials, customers, 5), meta);
      // The machine's floor for the fixed-rate p99: the same updates by hand at the same rate.
      if (fixedRate > 0) {
        const work = updateWorkload(wooshpay, credentials, customers, 6);
        await row(ctx, child, url, `by hand update (${run.tag}) at ${fixedRate} req/s`, work, { ...meta, rate: fixedRate });
      }
    } finally {
      await child.stop();
    }
  }
  if (postgresUrl) {
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
  }
}

/**
 * Stoplight Prism mocking the project's own Wooshpay OpenAPI document (docs/openapi/, issue #20):
 * what many would otherwise run locally as a stateless mock of the same API.
 */
async function prism(ctx: RowContext) {
  const wooshpay = ctx.registered.find((d) => d.name === 'wooshpay');
  if (!wooshpay) return;
  const document = join(root, 'docs', 'openapi', 'wooshpay.json');
  const cli = join(root, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
  if (!existsSync(document) || !existsSync(cli)) {
    ctx.notes.push('No Prism row: docs/openapi/wooshpay.json or @stoplight/prism-cli is missing.');
    return;
  }
  ctx.log('Stoplight Prism mocking docs/openapi/wooshpay.json');
  const port = await freePort();
  const child = await startChild([cli, 'mock', '-h', '127.0.0.1', '-p', String(port), document], {}, /listening on/i, {
    timeoutMs: 120_000,
  });
  try {
    // Prism checks only that a credential of the declared scheme is present.
    const credentials = { secret_key: 'sk_test_prismbenchmark' } as unknown as IssuedCredentials;
    await row(ctx, child, `http://127.0.0.1:${port}`, 'wooshpay update (Prism mock)', updateWorkload(wooshpay, credentials, 1000, 3), {
      kind: 'mock',
      dialect: 'wooshpay',
    });
  } finally {
    await child.stop();
  }
}

/** custgate on PostgreSQL, Wooshpay only: with --workers 2 and with one process. */
async function postgresCustgate(ctx: RowContext, dir: string, customers: number) {
  const wooshpay = ctx.registered.filter((d) => d.name === 'wooshpay');
  if (!ctx.postgresUrl || wooshpay.length === 0) {
    ctx.notes.push('No PostgreSQL rows: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a postgres:// URL to add them.');
    return;
  }
  const pg2 = { backend: 'postgres', customers, dialects: wooshpay, env: { CUSTGATE_PG_POOL_SIZE: '8' } } as const;
  await custgate(ctx, dir, { ...pg2, retrieve: true, tag: ' (PostgreSQL, --workers 2)', args: ['--workers', '2'] });
  await custgate(ctx, dir, { ...pg2, retrieve: true, tag: ' (PostgreSQL, 1 process)' });
}

/** `--only postgres`: the PostgreSQL rows of `requests` alone (hello-world, by hand on pg, custgate on PostgreSQL). */
export async function postgresRows(ctx: RowContext, dir: string, customers: number) {
  await hello(ctx);
  await byHand(ctx, dir, customers, ['postgres']);
  await postgresCustgate(ctx, dir, customers);
}

/**
 * What an installed package runs (bin/custgate.js over the compiled JavaScript, without tsx's loader
 * in memory): Wooshpay's update and retrieve, whose peak RSS is the memory target. Alone, it is
 * `--only memory`.
 */
export async function compiledRows(ctx: RowContext, dir: string, customers: number) {
  const wooshpay = ctx.registered.filter((d) => d.name === 'wooshpay');
  if (wooshpay.length === 0) return;
  buildDist();
  const compiled = { backend: 'sqlite', customers, dialects: wooshpay, retrieve: true, compiled: true } as const;
  await custgate(ctx, dir, { ...compiled, tag: ' (compiled dist)' });
}

/** The request rows: hello-world, Prism, by hand, and custgate's update/retrieve rows. */
export async function requestRows(ctx: RowContext, dir: string, sizes: readonly number[], synchronous: 'FULL' | 'NORMAL') {
  const { registered, log } = ctx;
  log(
    `custgate bench: ${registered.map((d) => d.name).join(', ')}; ${ctx.load.connections} connections, ${ctx.load.durationSeconds} s per row`,
  );
  await hello(ctx);
  await prism(ctx);
  const [small, large] = sizes;
  const wooshpay = registered.filter((d) => d.name === 'wooshpay');
  if (small !== undefined) {
    await byHand(ctx, dir, small);
    await custgate(ctx, dir, { backend: 'sqlite', customers: small, dialects: registered, retrieve: true, fixedRate: true });
    if (wooshpay.length > 0) {
      // The price of power-loss durability: the same updates with synchronous=NORMAL.
      if (synchronous === 'FULL') {
        const env = { CUSTGATE_SQLITE_SYNCHRONOUS: 'normal' };
        await custgate(ctx, dir, { backend: 'sqlite', customers: small, dialects: wooshpay, retrieve: false, tag: ' (sync=NORMAL)', env });
      }
      // The other write path (docs/performance.md): commits on the event loop instead of the writer thread.
      const inline = { CUSTGATE_SQLITE_WRITER: 'inline' };
      await custgate(ctx, dir, {
        backend: 'sqlite',
        customers: small,
        dialects: wooshpay,
        retrieve: false,
        tag: ' (inline writer)',
        env: inline,
      });
      await compiledRows(ctx, dir, small);
    }
    await postgresCustgate(ctx, dir, small);
  }
  if (large !== undefined && large !== small)
    await custgate(ctx, dir, { backend: 'sqlite', customers: large, dialects: registered, retrieve: false });
}

/**
 * `--only scale`: the large store's share of the small store's update rate, and nothing else. Each
 * store is its own server, measured in the same order; that order is rotated by BENCH_SCALE_ROTATE
 * [0] so a dialect's position in a server's life (the rows before it grew the WAL and the events)
 * can be told from the dialect.
 */
export async function scaleRows(ctx: RowContext, dir: string, sizes: readonly number[], rotate: number) {
  const { registered } = ctx;
  const shift = registered.length > 0 ? ((rotate % registered.length) + registered.length) % registered.length : 0;
  const order = [...registered.slice(shift), ...registered.slice(0, shift)];
  ctx.log(
    `custgate scale: ${order.map((d) => d.name).join(', ')} at ${sizes.map((n) => n.toLocaleString('en-US')).join(' and ')} customers`,
  );
  for (const customers of new Set(sizes)) {
    await custgate(ctx, dir, { backend: 'sqlite', customers, dialects: registered, order, retrieve: false });
  }
}
