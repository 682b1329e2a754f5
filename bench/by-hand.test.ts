import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { type Child, scriptArgs, startChild } from './processes.ts';
import { updateWorkload } from './workloads.ts';

// The by-hand app is the baseline of issue #30's ratios, so it must do the work it stands for. It
// read every Wooshpay update (JSON, the dialect's first body type) as a form: nothing was applied,
// and each update added its whole body as one new key, so its customers grew from 2 KB to 40 KB
// over a run and its CPU per request tripled from the first round to the last.

const key = `sk_test_${randomBytes(12).toString('hex')}`;
const credentials = { secret_key: key } as unknown as IssuedCredentials;
let server: Child;
let url: string;
beforeAll(async () => {
  server = await startChild(
    [...scriptArgs('bench/by-hand-server.ts', false), '10', 'sqlite', ':memory:', 'normal'],
    { BENCH_BY_HAND_KEY: key },
    /"port"/,
    {
      timeoutMs: 60_000,
    },
  );
  url = `http://127.0.0.1:${(JSON.parse(server.line) as { port: number }).port}`;
});
afterAll(async () => {
  await server?.stop();
});

it("applies the bench's Wooshpay updates as custgate does, and keeps the customer's shape", async () => {
  const work = updateWorkload(dialects.wooshpay, credentials, 10, 1);
  for (let i = 0; i < 4; i++) {
    const { path, body } = work.next!();
    const sent = JSON.parse(body!) as Record<string, unknown>;
    const before = (await (await fetch(new URL(path, url), { headers: work.headers })).json()) as Record<string, unknown>;
    const res = await fetch(new URL(path, url), { method: work.method, headers: work.headers, body: body! });
    expect(res.status).toBe(200);
    const after = (await (await fetch(new URL(path, url), { headers: work.headers })).json()) as Record<string, unknown>;
    expect(after.name).toBe(sent.name);
    expect(after.email).toBe(sent.email);
    expect(after.metadata).toMatchObject(sent.metadata as object);
    expect(Object.keys(after).sort()).toEqual([...new Set([...Object.keys(before), ...Object.keys(sent)])].sort());
  }
});
