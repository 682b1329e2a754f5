// `node --import tsx bench/retrieve-cpu.ts > /dev/null`: custgate's own CPU per retrieve, in one
// process, without the network (issue #30).
//
// The gateway is built as `npm start` builds it (the node logger on stdout, metrics, the SQLite
// writer thread) over a preloaded store, and retrieves go through `app.request`: the sum of the
// work custgate adds to a retrieve (routing, auth, the read caches, render, headers, access log,
// metrics), without @hono/node-server, the socket's write or a load generator, which an HTTP
// benchmark shares with the by-hand app and which move with the host. Rounds alternate the
// dialects; the table (on stderr: stdout is the access log) gives each dialect's median µs.
//
// Knobs: BENCH_CPU_ROUNDS [7], BENCH_CPU_REQUESTS per block [3000], BENCH_SMALL customers [1000],
// BENCH_CPU_DIALECTS [all, comma-separated], BENCH_CPU_BEFORE=<another checkout>: that checkout's
// gateway too, in the same process over the same store, its rows named `before <dialect>` (a change
// against the tree it started from, alternated; the checkout needs its node_modules).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects } from '../dialects/index.ts';
import { inProcessGateway } from './in-process.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { runChild } from './processes.ts';
import { retrieveWorkload } from './workloads.ts';
import { numberKnob } from './knobs.ts';

const env = process.env;
const num = numberKnob;
const rounds = num('BENCH_CPU_ROUNDS', 7);
const perBlock = num('BENCH_CPU_REQUESTS', 3000);
const customers = num('BENCH_SMALL', 1000);
const dir = mkdtempSync(join(tmpdir(), 'custgate-retrieve-cpu-'));
const serverEnv = {
  ...env,
  NODE_ENV: 'production',
  CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'),
  DATABASE_URL: `file:${join(dir, 'custgate.db')}`,
};
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return ((s[(s.length - 1) >> 1] ?? 0) + (s[s.length >> 1] ?? 0)) / 2;
};

try {
  const { credentials } = JSON.parse(await runChild(['bench/preload.ts', String(customers)], serverEnv, 15 * 60_000)) as {
    credentials: Record<string, IssuedCredentials>;
  };
  const { app, store, logger } = await inProcessGateway(serverEnv);
  const before = env.BENCH_CPU_BEFORE
    ? await (
        (await import(join(env.BENCH_CPU_BEFORE, 'bench/in-process.ts'))) as { inProcessGateway: typeof inProcessGateway }
      ).inProcessGateway(serverEnv)
    : undefined;
  const wanted = env.BENCH_CPU_DIALECTS?.split(',');
  const chosen = Object.values(dialects).filter((d) => !wanted || wanted.includes(d.name));
  const sides = [{ prefix: '', app }, ...(before ? [{ prefix: 'before ', app: before.app }] : [])];
  const blocks = sides.flatMap(({ prefix, app }) =>
    chosen.map((d, i) => {
      const work = retrieveWorkload(d, credentials[d.name]!, customers, 7 + i);
      return {
        name: `${prefix}${d.name}`,
        run: async () => {
          for (let n = 0; n < perBlock; n++) {
            const res = await app.request(work.next!().path, { headers: work.headers });
            if (res.status !== 200) throw new Error(`${d.name}: ${res.status} ${await res.text()}`);
            await res.arrayBuffer();
          }
        },
      };
    }),
  );
  for (const b of blocks) await b.run();
  const times = new Map<string, number[]>(blocks.map((b) => [b.name, []]));
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[(k + r) % blocks.length]!;
      const before = process.cpuUsage();
      await b.run();
      const used = process.cpuUsage(before);
      times.get(b.name)!.push((used.user + used.system) / perBlock);
      loads.push(loadavg()[0]!);
    }
  }
  logger.flush();
  before?.logger.flush();
  await store.executor.close();
  await before?.store.executor.close();
  process.stderr.write(
    `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ${rounds} rounds of ${perBlock} retrieves\n\n| dialect | µs CPU per retrieve, median (min–max) |\n|---|---:|\n`,
  );
  for (const [name, xs] of times)
    process.stderr.write(`| ${name} | ${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}) |\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
