import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startNode } from '../src/entries/node.ts';
import { testEnv } from './support/gateway.ts';
import { createTenant } from './support/registered.ts';
import { testBackend } from './support/store.ts';

// CUSTGATE_REQUEST_TRACE (src/request-trace.ts): a real server on a SQLite file writes, for each
// update, when it passed each stage, on the main thread and on the writer's, keyed by the caller's
// x-request-id, so the bench can say where a slow request waited. Retrieves are not traced.

const dir = mkdtempSync(join(tmpdir(), 'custgate-request-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stages = ['received', 'body', 'readSent', 'readStarted', 'readBack', 'handed', 'started', 'committed', 'back', 'written'];

async function traced(writer: 'thread' | 'inline') {
  const file = join(dir, `trace-${writer}.csv`);
  const env = {
    ...testEnv,
    DATABASE_URL: `file:${join(dir, `${writer}.db`)}`,
    CUSTGATE_SQLITE_WRITER: writer,
    CUSTGATE_REQUEST_TRACE: file,
  };
  const gateway = await startNode(env, { port: 0, logger: { error: () => undefined, access: () => undefined } });
  try {
    const key = (await createTenant(gateway.store, loadConfig(env), 'traced')).credentials.wooshpay!.secret_key!;
    const base = `http://127.0.0.1:${gateway.port}/v1/customers`;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const created = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ name: 'Traced' }) });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const updated = await fetch(`${base}/${id}`, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': `update-${writer}` },
      body: JSON.stringify({ name: 'Traced again' }),
    });
    expect(updated.status).toBe(200);
    const read = await fetch(`${base}/${id}`, { headers: { ...headers, 'x-request-id': `read-${writer}` } });
    expect(read.status).toBe(200);
  } finally {
    await gateway.close();
  }
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

describe.skipIf(testBackend() !== 'sqlite')('the per-request trace', () => {
  for (const writer of ['thread', 'inline'] as const) {
    it(`marks every stage of an update, in order (${writer} writer)`, async () => {
      const lines = await traced(writer);
      expect(lines.some((l) => l.includes(`read-${writer}`))).toBe(false);
      const line = lines.find((l) => l.startsWith(`request,update-${writer},`));
      expect(line).toBeDefined();
      const marks = line!.split(',').slice(2).map(Number);
      expect(marks).toHaveLength(stages.length);
      for (const [i, at] of marks.entries()) {
        expect(at, stages[i]).toBeGreaterThan(Date.now() - 60_000);
        // Marks from the two threads share the epoch's clock; a microsecond of float between them is allowed.
        if (i > 0) expect(at, `${stages[i]} after ${stages[i - 1]}`).toBeGreaterThanOrEqual(marks[i - 1]! - 0.01);
      }
    });
  }

  // A diagnostic never takes the server down. Before: the once-a-second append threw in a timer,
  // an uncaught exception that ended the process with the requests it was serving.
  it('a trace file that fails while serving is logged once, tracing stops, and the server answers on', async () => {
    const gone = join(dir, 'gone');
    mkdirSync(gone);
    const file = join(gone, 'trace.csv');
    const env = { ...testEnv, DATABASE_URL: `file:${join(dir, 'gone.db')}`, CUSTGATE_REQUEST_TRACE: file };
    const logged: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
    const logger = {
      error: (event: string, fields: Readonly<Record<string, unknown>>) => logged.push({ event, fields }),
      access: () => undefined,
    };
    const gateway = await startNode(env, { port: 0, logger });
    try {
      const key = (await createTenant(gateway.store, loadConfig(env), 'traced')).credentials.wooshpay!.secret_key!;
      const create = () =>
        fetch(`http://127.0.0.1:${gateway.port}/v1/customers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Traced' }),
        });
      rmSync(gone, { recursive: true });
      expect((await create()).status).toBe(200);
      // The next flush (once a second) finds the directory gone.
      for (let i = 0; i < 200 && logged.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await create()).status).toBe(200);
    } finally {
      await gateway.close();
    }
    expect(logged).toEqual([
      { event: 'request_trace_stopped', fields: { file, code: 'ENOENT', message: expect.stringContaining('ENOENT') } },
    ]);
  });
});
