// `npx tsx bench/threads.ts`: custgate's CPU per request, thread by thread (issue #30).
//
// The bench's rows divide the whole process's CPU by its requests; this splits it. custgate runs as
// `npm start` does over BENCH_SMALL preloaded customers, autocannon drives one dialect's retrieves or
// updates, and each thread's user + system time over the measured run (/proc/<pid>/task/*/stat) is
// divided by the requests served: the main thread (the event loop: HTTP, the pipeline, the render),
// the SQLite writer and checkpoint threads, the delivery thread, V8's helper threads (concurrent
// marking, sweeping, parallel scavenges) and libuv's pool. Node names every thread `node`, so a
// thread is known by its figure: the main thread is the first listed.
//
// Knobs: BENCH_THREADS_KIND [retrieve|update], BENCH_THREADS_DIALECT [wooshpay], BENCH_DURATION seconds [6],
// BENCH_WARMUP [3], BENCH_CONNECTIONS [32], BENCH_SMALL customers [1000]. Other CUSTGATE_* variables
// reach the server (e.g. CUSTGATE_HEAP_GROWING_PERCENT=0 to compare V8's own heap pacing).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { measure } from './load.ts';
import { runChild, startChild } from './processes.ts';
import { credentialsOf } from './rows.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';
import { dialectKnob, numberKnob } from './knobs.ts';

const env = process.env;
const num = numberKnob;
const kind = env.BENCH_THREADS_KIND === 'update' ? 'update' : 'retrieve';
const dialect = dialectKnob('BENCH_THREADS_DIALECT');
const customers = num('BENCH_SMALL', 1000);
const connections = num('BENCH_CONNECTIONS', 32);
const workload = kind === 'update' ? updateWorkload : retrieveWorkload;
/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** Each thread's CPU ticks so far, by thread id, in the order /proc lists them. */
function threadTicks(pid: number): Map<string, number> {
  return new Map(
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The fields after the command name, which may itself hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [tid, Number(fields[11]) + Number(fields[12])] as const;
    }),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'custgate-threads-'));
try {
  const childEnv = {
    NODE_ENV: 'production',
    CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'),
    DATABASE_URL: `file:${join(dir, 'threads.db')}`,
    PORT: undefined,
    HOST: undefined,
  };
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(customers)], childEnv, 15 * 60_000)) as {
    credentials: Record<string, IssuedCredentials>;
  };
  const credentials = credentialsOf(preloaded.credentials, dialect.name);
  const server = await startChild(
    ['bin/custgate.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo'],
    childEnv,
    /listening on/,
    {
      timeoutMs: 120_000,
    },
  );
  try {
    const url = `http://127.0.0.1:${Number(/:(\d+)/.exec(server.line)?.[1])}`;
    const pid = server.process.pid!;
    await measure(url, workload(dialect, credentials, customers, 3), { connections, durationSeconds: num('BENCH_WARMUP', 3) });
    const before = threadTicks(pid);
    const measured = await measure(url, workload(dialect, credentials, customers, 4), {
      connections,
      durationSeconds: num('BENCH_DURATION', 6),
    });
    const after = threadTicks(pid);
    const perRequest = (ticks: number) => ((ticks / ticksPerSecond) * 1e6) / measured.total;
    const lines = [
      `### ${dialect.name} ${kind}: ${measured.total.toLocaleString('en-US')} requests`,
      '',
      '| thread | µs of CPU per request |',
      '|---|---:|',
    ];
    let all = 0;
    for (const [tid, ticks] of after) {
      const spent = ticks - (before.get(tid) ?? 0);
      all += spent;
      if (spent > 0) lines.push(`| ${tid} | ${perRequest(spent).toFixed(1)} |`);
    }
    lines.push(`| all | ${perRequest(all).toFixed(1)} |`, '');
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
