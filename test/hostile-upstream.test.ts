import { addUpstream } from './support/registered.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import type { DialectName } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { type GatewayProcess, runCli, startGatewayProcess } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// A hostile upstream (issue #26, item 1): a provider that answers a first-reference read with a
// gzip bomb (a few hundred KB that decode to hundreds of MB). The gateway, a real child process,
// must refuse it as a 502 in the caller's envelope without inflating it: its peak RSS stays near
// where it started, and another tenant's reads keep being served meanwhile. Bounded by count;
// HOSTILE_ROUNDS and HOSTILE_BOMB_MB make longer or larger runs.

const rounds = Number(process.env.HOSTILE_ROUNDS ?? 3);
const bombMb = Number(process.env.HOSTILE_BOMB_MB ?? 256);
const concurrent = 4;

type Made = { tenant: { id: string }; credentials: Record<DialectName, IssuedCredentials> };

async function gzipBomb(megabytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve) => gzip.on('end', () => resolve()));
  const zeros = Buffer.alloc(1 << 20, 0x20);
  for (let i = 0; i < megabytes; i++) gzip.write(zeros);
  gzip.end();
  await ended;
  return Buffer.concat(out);
}

/** Peak and current resident set of a Linux process, in MB (undefined elsewhere). */
function memoryOf(pid: number): { peak: number; now: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.99))] ?? 0;

describe('a hostile upstream answering a gzip bomb', () => {
  let bomb: Server;
  let gateway: GatewayProcess;
  let hostileKey: string;
  let calmKey: string;
  let calmId: string;
  let served = 0;

  beforeAll(async () => {
    const payload = await gzipBomb(bombMb);
    bomb = createServer((_req, res) => {
      served++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(payload.length) });
      res.end(payload);
    });
    await new Promise<void>((resolve) => bomb.listen(0, '127.0.0.1', resolve));
    const address = bomb.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const env = { NODE_ENV: 'test', ...testDatabaseEnv() };
    const hostile = JSON.parse(await runCli(['tenant', 'create', 'hostile', '--json'], env)) as Made;
    const calm = JSON.parse(await runCli(['tenant', 'create', 'calm', '--json'], env)) as Made;
    hostileKey = hostile.credentials.wooshpay.secret_key ?? '';
    calmKey = calm.credentials.wooshpay.secret_key ?? '';
    const store = await openStore(env);
    try {
      await addUpstream(store, keyringFor(loadConfig(env), store.upstreams), hostile.tenant.id, {
        dialect: 'wooshpay',
        baseUrl: `http://127.0.0.1:${port}`,
        mode: 'proxy',
        credentials: hostile.credentials.wooshpay,
      });
    } finally {
      await store.executor.close();
    }
    gateway = await startGatewayProcess(env);
    const created = await fetch(`${gateway.base}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${calmKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Calm',
    });
    expect(created.status).toBe(200);
    calmId = ((await created.json()) as { id: string }).id;
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await new Promise<void>((resolve) => (bomb ? bomb.close(() => resolve()) : resolve()));
  });

  const calmRead = async (): Promise<number> => {
    const start = performance.now();
    const res = await fetch(`${gateway.base}/v1/customers/${calmId}`, { headers: { authorization: `Bearer ${calmKey}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return performance.now() - start;
  };

  it('is refused with a 502 in the caller’s envelope; RSS stays bounded; another tenant keeps reading', async () => {
    const pid = gateway.child.pid ?? 0;
    const quiet: number[] = [];
    for (let i = 0; i < 50; i++) quiet.push(await calmRead());
    try {
      // Resets the peak (VmHWM) to the current RSS, so the peak measured is this test's.
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // Not Linux, or not allowed: the peak then includes start-up.
    }
    const before = memoryOf(pid);

    let stop = false;
    const loaded: number[] = [];
    const reader = (async () => {
      while (!stop) loaded.push(await calmRead());
    })();
    const answers: { status: number; body: unknown }[] = [];
    for (let round = 0; round < rounds; round++) {
      const batch = await Promise.all(
        Array.from({ length: concurrent }, async (_, i) => {
          const res = await fetch(`${gateway.base}/v1/customers/cus_bomb${round}x${i}`, {
            headers: { authorization: `Bearer ${hostileKey}` },
          });
          return { status: res.status, body: await res.json() };
        }),
      );
      answers.push(...batch);
    }
    stop = true;
    await reader;
    const after = memoryOf(pid);

    expect(served).toBeGreaterThanOrEqual(rounds * concurrent);
    for (const answer of answers) {
      expect(answer.status).toBe(502);
      expect(answer.body).toMatchObject({ error: { type: 'api_error', message: expect.stringMatching(/more than a customer/) } });
    }
    expect(loaded.length).toBeGreaterThan(0);
    // The figures the issue asks for, printed for the record (never asserted as times).
    console.log(
      `hostile upstream: bomb ${bombMb} MB decoded, ${rounds}x${concurrent} reads; gateway RSS before ${before?.now.toFixed(0)} MB, ` +
        `peak ${after?.peak.toFixed(0)} MB, after ${after?.now.toFixed(0)} MB; calm tenant p99 quiet ${p99(quiet).toFixed(1)} ms, ` +
        `under the bomb ${p99(loaded).toFixed(1)} ms (${loaded.length} reads)`,
    );
    if (before && after) {
      // Inflating even one bomb whole would add bombMb (and twice that as a string) to the peak.
      expect(after.peak - before.now).toBeLessThan(Math.min(150, bombMb / 2));
    }
  }, 120_000);
});
