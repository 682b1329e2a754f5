import { describe, expect, it } from 'vitest';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import { jsonInit, testGateway } from './support/gateway.ts';
import { testBackend } from './support/store.ts';

// On PostgreSQL the queries run as named prepared statements (src/store/pg-prepared.ts), which
// the server plans once per connection. A newer release's migration, run by another process,
// can add a column to a table this process reads with `select *`; its prepared statements then
// fail with "cached plan must not change result type". The gateway must keep answering.

describe.skipIf(testBackend() !== 'postgres')('named prepared statements on PostgreSQL', () => {
  it('keeps answering, unchanged, after another process adds a column to the tables it reads', async () => {
    const gateway = await testGateway();
    const auth = { authorization: `Bearer ${gateway.tenant.credentials.wooshpay!.secret_key}` };
    const created = await gateway.request('/v1/customers', jsonInit('POST', { name: 'Jenny Rosen', email: 'jenny@example.com' }, auth));
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const retrieve = async () => {
      const res = await gateway.request(`/v1/customers/${id}`, { headers: auth });
      return { status: res.status, body: await res.text() };
    };
    // Every connection of the pool (4 in tests) prepares the reads: several at once.
    const before = await Promise.all(Array.from({ length: 8 }, retrieve));
    expect(before.map((r) => r.status)).toEqual(Array(8).fill(200));

    const pool = (gateway.store.executor as unknown as PostgresExecutor).pool;
    await pool.query('alter table customers add column added_by_a_newer_release text');
    await pool.query('alter table credentials add column added_by_a_newer_release text');

    const after = await Promise.all(Array.from({ length: 8 }, retrieve));
    expect(after.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(after.map((r) => r.body)).toEqual(before.map((r) => r.body));
    // Writes too, and what they wrote is read back.
    const updated = await gateway.request(`/v1/customers/${id}`, jsonInit('POST', { description: 'after the migration' }, auth));
    expect(updated.status, await updated.clone().text()).toBe(200);
    const read = await retrieve();
    expect(read.status).toBe(200);
    expect((JSON.parse(read.body) as { description: string }).description).toBe('after the migration');
  });
});
