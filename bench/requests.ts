import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { freePort } from '../src/entries/registered.ts';
import { buildDist, root, scriptArgs, startChild } from './processes.ts';
import { alternatedScale, alternatedSqlite, postgresCustgate } from './pairs.ts';
import { custgate, type RowContext, row } from './rows.ts';
import { helloWorkload, updateWorkload } from './workloads.ts';

// The `requests` group (hello-world, Prism, the same work by hand, custgate's rows) and the
// `scale` group (every dialect's update at the small and the large store, nothing else).

export async function hello(ctx: RowContext, saturate = true) {
  ctx.log('hello-world (bare Hono on @hono/node-server)');
  const child = await startChild(scriptArgs('bench/hello-server.ts', ctx.installed), {}, /"port"/, { timeoutMs: 60_000 });
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

/** `--only postgres`: the PostgreSQL rows of `requests` alone (hello-world, by hand on pg beside custgate on PostgreSQL). */
export async function postgresRows(ctx: RowContext, dir: string, customers: number) {
  await hello(ctx);
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
  // BENCH_COMPILED_ENV (JSON) runs the installed server with more environment: a writer or checkpoint
  // mode's memory (docs/performance.md, "The twenty-second round").
  const env = JSON.parse(process.env.BENCH_COMPILED_ENV ?? '{}') as Record<string, string>;
  const compiled = { backend: 'sqlite', customers, dialects: wooshpay, retrieve: true, compiled: true, env } as const;
  await custgate(ctx, dir, { ...compiled, tag: ' (compiled dist)' });
}

/** The request rows: hello-world, Prism, the alternated pairs (by hand and custgate), and the variants once. */
export async function requestRows(ctx: RowContext, dir: string, sizes: readonly number[], synchronous: 'FULL' | 'NORMAL') {
  const { registered, log } = ctx;
  log(
    `custgate bench: ${registered.map((d) => d.name).join(', ')}; ${ctx.load.connections} connections; the pairs in ${ctx.rounds} alternated rounds of ${ctx.sliceSeconds} s slices, the other rows ${ctx.load.durationSeconds} s`,
  );
  await hello(ctx);
  await prism(ctx);
  const [small, large] = sizes;
  const wooshpay = registered.filter((d) => d.name === 'wooshpay');
  if (small !== undefined) {
    await alternatedSqlite(ctx, dir, small, large !== undefined && large !== small ? large : undefined);
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
  } else if (large !== undefined) await custgate(ctx, dir, { backend: 'sqlite', customers: large, dialects: registered, retrieve: false });
}

/**
 * `--only scale`: the large store's share of the small store's update rate, and nothing else. The
 * two stores are two servers measured in alternation, dialect by dialect (bench/pairs.ts); the
 * dialects' order within a round is rotated by BENCH_SCALE_ROTATE [0].
 */
export async function scaleRows(ctx: RowContext, dir: string, sizes: readonly number[], rotate: number) {
  const { registered } = ctx;
  const [small, large] = sizes;
  if (small === undefined || large === undefined || small === large)
    throw new Error('--only scale needs two store sizes (BENCH_SMALL, BENCH_LARGE)');
  const shift = registered.length > 0 ? ((rotate % registered.length) + registered.length) % registered.length : 0;
  const order = [...registered.slice(shift), ...registered.slice(0, shift)];
  ctx.log(
    `custgate scale: ${order.map((d) => d.name).join(', ')} at ${small.toLocaleString('en-US')} and ${large.toLocaleString('en-US')} customers`,
  );
  await alternatedScale(ctx, dir, small, large, order);
}
