// `npx tsx bench/calls.ts`: the functions one request calls, and how often (issue #30).
//
// Timing moves with the machine's load; call counts do not. The gateway is built as `npm start`
// builds it (bench/in-process.ts) over a preloaded store, BENCH_CALLS_WARMUP requests of one
// dialect go through `app.request`, then V8's precise coverage (call counts, the inspector's
// Profiler domain) counts BENCH_CALLS_REQUESTS more. It lists the functions of src/, dialects/,
// schemas/ and the libraries on the request path called at least 0.9 times per request, most
// called first, and the sum, then what the same number of requests allocate, by file (V8's
// sampling heap profiler): work done again and again (a schema making issues it throws away,
// a header parsed twice) shows as a count, and a change that takes it out shows in the next run.
//
// Knobs: BENCH_CALLS_KIND [update|retrieve], BENCH_CALLS_DIALECT [wooshpay], BENCH_CALLS_REQUESTS [1000],
// BENCH_CALLS_WARMUP [1500], BENCH_CALLS_TOP [60], BENCH_CALLS_ALLOC_BY [folder|function], BENCH_SMALL customers [1000].

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { inProcessGateway } from './in-process.ts';
import { runChild } from './processes.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';
import { dialectKnob, numberKnob } from './knobs.ts';

const env = process.env;
const num = numberKnob;
const kind = env.BENCH_CALLS_KIND === 'retrieve' ? 'retrieve' : 'update';
const dialect = dialectKnob('BENCH_CALLS_DIALECT');
const customers = num('BENCH_SMALL', 1000);
const counted = num('BENCH_CALLS_REQUESTS', 1000);
/** BENCH_CALLS_ALLOC_BY=function: the allocation by function rather than by folder. */
const byFunction = env.BENCH_CALLS_ALLOC_BY === 'function';
const watched = /\/(src|dialects|schemas|node_modules\/(valibot|hono|@hono\/node-server|qs|kysely|prom-client))\//;

interface HeapNode {
  readonly callFrame: { readonly url: string; readonly functionName: string };
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

interface Coverage {
  readonly result: readonly {
    readonly url: string;
    readonly functions: readonly { functionName: string; ranges: { count: number }[] }[];
  }[];
}

const dir = mkdtempSync(join(tmpdir(), 'custgate-calls-'));
try {
  const serverEnv = {
    ...env,
    NODE_ENV: 'production',
    CUSTGATE_LOG_LEVEL: 'warn',
    CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: `file:${join(dir, 'calls.db')}`,
  };
  const { credentials } = JSON.parse(await runChild(['bench/preload.ts', String(customers)], serverEnv, 15 * 60_000)) as {
    credentials: Record<string, IssuedCredentials>;
  };
  const { app, store } = await inProcessGateway(serverEnv);
  const work = (kind === 'update' ? updateWorkload : retrieveWorkload)(dialect, credentials[dialect.name]!, customers, 5);
  const one = async () => {
    const next = work.next!();
    const body = next.body ?? work.body;
    const res = await app.request(next.path, { method: work.method, headers: work.headers, ...(body === undefined ? {} : { body }) });
    if (res.status !== 200) throw new Error(`${dialect.name} ${kind}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  for (let n = num('BENCH_CALLS_WARMUP', 1500); n > 0; n--) await one();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  // Counts start from here: taking coverage resets them.
  await session.post('Profiler.takePreciseCoverage');
  for (let n = 0; n < counted; n++) await one();
  const { result } = (await session.post('Profiler.takePreciseCoverage')) as unknown as Coverage;
  await session.post('Profiler.stopPreciseCoverage');
  // Then what the same requests allocate: V8's sampling heap profiler, with what the collectors
  // freed kept in the profile (a request's garbage is all of its allocation), by file.
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let n = 0; n < counted; n++) await one();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
  session.disconnect();
  const allocated = new Map<string, number>();
  // A built-in (an array's map, a Promise) allocates for the code that called it.
  const walk = (node: HeapNode, caller: string) => {
    const { url } = node.callFrame;
    const file =
      url === ''
        ? caller
        : byFunction
          ? `${node.callFrame.functionName || '(anonymous)'} ${url.replace(/^.*\/(src|dialects|schemas|node_modules|bench)\//, '$1/')}`
          : url.replace(/^.*\/(src\/[^/]+|dialects|schemas|node_modules\/(@[^/]+\/)?[^/]+|bench)\/.*$/, '$1');
    allocated.set(file, (allocated.get(file) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, file);
  };
  walk(profile.head, '(outside any script)');
  const rows: [number, string][] = [];
  for (const script of result) {
    if (!watched.test(script.url)) continue;
    const file = script.url.replace(/^.*\/(src|dialects|schemas|node_modules)\//, '$1/');
    for (const f of script.functions) {
      const perRequest = (f.ranges[0]?.count ?? 0) / counted;
      if (perRequest >= 0.9) rows.push([perRequest, `${f.functionName || '(anonymous)'} ${file}`]);
    }
  }
  rows.sort((a, b) => b[0] - a[0]);
  const total = rows.reduce((sum, [n]) => sum + n, 0);
  const lines = [
    `### ${dialect.name} ${kind}: ${total.toFixed(0)} calls per request in ${rows.length} functions (each called ≥ 0.9 times per request)`,
    '',
    ...rows.slice(0, num('BENCH_CALLS_TOP', 60)).map(([n, name]) => `- ${n.toFixed(1)} ${name}`),
    '',
    `Allocated per request: ${([...allocated.values()].reduce((a, b) => a + b, 0) / counted / 1024).toFixed(1)} KB (sampled every 512 bytes), by where:`,
    '',
    ...[...allocated.entries()]
      .sort((a, b) => b[1] - a[1])
      .filter(([, bytes]) => bytes / counted >= 100)
      .map(([file, bytes]) => `- ${(bytes / counted / 1024).toFixed(1)} KB ${file}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await store.executor.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
