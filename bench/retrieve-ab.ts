// `node --import tsx bench/retrieve-ab.ts`: server CPU per retrieve, custgate (every dialect) against
// the same retrieve written by hand (bench/by-hand-server.ts), in alternating blocks (issue #30).
//
// req/s moves with the host; the server's own CPU per request moves much less, and blocks that
// alternate between the two servers share the host's slow windows. Both servers run side by side
// for the whole run; each round measures the by-hand app and every dialect once, in a rotated
// order, and the table gives each one's median µs of server CPU per retrieve and its ratio to the
// by-hand app's median (below 1: custgate spends less CPU per retrieve than the by-hand app).
//
// Knobs: BENCH_AB_ROUNDS [5], BENCH_AB_SECONDS per block [3], BENCH_CONNECTIONS [32], BENCH_SMALL customers [1000],
// BENCH_AB_DIALECTS [all, comma-separated], BENCH_AB_COMPILED=1 runs the compiled server (the installed package's bin),
// BENCH_AB_BEFORE=<another checkout> also runs that checkout's server on the same store, its rows named `before <dialect>`
// (a change against the tree it started from, in the same alternation; the checkout needs its node_modules).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects } from '../dialects/index.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { measure, type Workload } from './load.ts';
import { buildDist, cpuSeconds, installedBin, runChild, startChild } from './processes.ts';
import { retrieveWorkload } from './workloads.ts';
import { numberKnob } from './knobs.ts';

const env = process.env;
const num = numberKnob;
const rounds = num('BENCH_AB_ROUNDS', 5);
const customers = num('BENCH_SMALL', 1000);
const load = { connections: num('BENCH_CONNECTIONS', 32), durationSeconds: num('BENCH_AB_SECONDS', 3) };
const wanted = env.BENCH_AB_DIALECTS?.split(',');
const chosen = Object.values(dialects).filter((d) => !wanted || wanted.includes(d.name));
const wooshpay = Object.values(dialects).find((d) => d.name === 'wooshpay')!;

const dir = mkdtempSync(join(tmpdir(), 'custgate-retrieve-ab-'));
const childEnv = {
  NODE_ENV: 'production',
  CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'),
  DATABASE_URL: `file:${join(dir, 'custgate.db')}`,
  PORT: undefined,
  HOST: undefined,
};
const key = `sk_test_${randomBytes(12).toString('hex')}`;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : ((s[(s.length - 1) >> 1] ?? 0) + (s[s.length >> 1] ?? 0)) / 2;
};

try {
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(customers)], childEnv, 15 * 60_000)) as {
    credentials: Record<string, IssuedCredentials>;
  };
  if (env.BENCH_AB_COMPILED === '1') buildDist();
  const entry = env.BENCH_AB_COMPILED === '1' ? installedBin(dir) : 'bin/custgate.js';
  const gateway = await startChild([entry, 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo'], childEnv, /listening on/, {
    timeoutMs: 120_000,
  });
  const before = env.BENCH_AB_BEFORE
    ? await startChild(
        [join(env.BENCH_AB_BEFORE, 'bin/custgate.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo'],
        childEnv,
        /listening on/,
        { timeoutMs: 120_000 },
      )
    : undefined;
  const byHand = await startChild(
    ['--import', 'tsx', 'bench/by-hand-server.ts', String(customers), 'sqlite', join(dir, 'by-hand.db'), 'normal'],
    { BENCH_BY_HAND_KEY: key },
    /"port"/,
    { timeoutMs: 300_000 },
  );
  try {
    const gatewayUrl = `http://127.0.0.1:${Number(/:(\d+)/.exec(gateway.line)?.[1])}`;
    const byHandUrl = `http://127.0.0.1:${(JSON.parse(byHand.line) as { port: number }).port}`;
    const targets: { name: string; url: string; pid: number | undefined; work: () => Workload }[] = [
      {
        name: 'by hand',
        url: byHandUrl,
        pid: byHand.process.pid,
        work: () => retrieveWorkload(wooshpay, { secret_key: key } as unknown as IssuedCredentials, customers, 5),
      },
      ...chosen.map((d, i) => ({
        name: d.name,
        url: gatewayUrl,
        pid: gateway.process.pid,
        work: () => retrieveWorkload(d, preloaded.credentials[d.name]!, customers, 7 + i),
      })),
      ...(before
        ? chosen.map((d, i) => ({
            name: `before ${d.name}`,
            url: `http://127.0.0.1:${Number(/:(\d+)/.exec(before.line)?.[1])}`,
            pid: before.process.pid,
            work: () => retrieveWorkload(d, preloaded.credentials[d.name]!, customers, 7 + i),
          }))
        : []),
    ];
    // Warm-up: every target's JIT sees its requests before anything counts.
    for (const t of targets) await measure(t.url, t.work(), { ...load, durationSeconds: 2 });
    const perRequest = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const loads: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
      for (const t of order) {
        const before = cpuSeconds(t.pid) ?? 0;
        const measured = await measure(t.url, t.work(), load);
        const cpu = (cpuSeconds(t.pid) ?? 0) - before;
        if (measured.errors > 0) throw new Error(`${t.name}: ${measured.errors} failed retrieves`);
        perRequest.get(t.name)!.push((cpu * 1e6) / measured.total);
        loads.push(loadavg()[0]!);
      }
    }
    const base = median(perRequest.get('by hand')!);
    process.stdout.write(
      `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, ${rounds} rounds of ${load.durationSeconds} s\n\n| server | µs CPU per retrieve, median (min–max) | ÷ by hand |\n|---|---:|---:|\n`,
    );
    for (const [name, xs] of perRequest)
      process.stdout.write(
        `| ${name} | ${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}) | ${(median(xs) / base).toFixed(2)} |\n`,
      );
  } finally {
    await gateway.stop();
    await before?.stop();
    await byHand.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
