import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// On SQLite an update reads its customer on the writer thread's connection (src/store/sqlite.ts,
// allForWrite) and commits there. The reads of one turn of the event loop go to that thread in one
// message and come back in one (src/store/sqlite-writers.ts, sqlite-writer.js): at saturation a turn
// carries about ten updates' reads, and each message costs both threads a wake-up and a copy
// (docs/performance.md, "The twenty-seventh round"). These updates of different customers, started in
// one turn, must each be answered with exactly what it asked for, and their reads must have
// travelled together.

describe.skipIf(testBackend() !== 'sqlite')("the writer thread's reads, a turn's at a time", () => {
  let gateway: TestGateway;
  let auth: Record<string, string>;

  beforeAll(async () => {
    // A file, so the store writes on its writer thread (test/support/store.ts).
    gateway = await testGateway(testDatabaseEnv());
    auth = { authorization: `Bearer ${gateway.tenant.credentials.wooshpay!.secret_key}` };
  });

  it('sends the reads of sixteen updates started together in fewer messages than reads, and answers each update as asked', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const res = await gateway.request('/v1/customers', jsonInit('POST', { name: `first ${i}` }, auth));
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const sent = vi.spyOn(Worker.prototype, 'postMessage');
    const answers = await Promise.all(
      ids.map((id, i) =>
        gateway.request(`/v1/customers/${id}`, jsonInit('POST', { name: `second ${i}`, metadata: { n: String(i) } }, auth)),
      ),
    );
    // A message may carry one read (`read`) or several (`reads`): counted either way.
    const readsIn = (message: unknown): number =>
      typeof message !== 'object' || message === null
        ? 0
        : 'reads' in message
          ? (message.reads as unknown[]).length
          : 'read' in message
            ? 1
            : 0;
    const readMessages = sent.mock.calls.filter(([message]) => readsIn(message) > 0);
    const reads = readMessages.reduce((sum, [message]) => sum + readsIn(message), 0);
    sent.mockRestore();

    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: ids[i], name: `second ${i}`, metadata: { n: String(i) } });
    }
    // Each update read its customer once on the writer's connection.
    expect(reads).toBeGreaterThanOrEqual(16);
    expect(readMessages.length).toBeLessThan(reads / 4);
    for (const [i, id] of ids.entries()) {
      const res = await gateway.request(`/v1/customers/${id}`, { headers: auth });
      expect(await res.json()).toMatchObject({ name: `second ${i}`, metadata: { n: String(i) } });
    }
  });
});
