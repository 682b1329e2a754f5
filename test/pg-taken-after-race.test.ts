import { describe, expect, it } from 'vitest';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import { jsonInit, testGateway } from './support/gateway.ts';
import { until } from './support/edge-receiver.ts';
import { testBackend } from './support/store.ts';

// On PostgreSQL an update whose compare-and-set another process's commit beat is planned again
// with the customer's row locked. That second write meets the same unique indexes, but its
// failure skipped the check that makes a taken alias or external id a 409: found walking several
// processes (Zenskar PATCHes of external_id beside other dialects' updates), it was a 500
// "An internal error occurred." The other process is played here by a session of our own that
// commits a new version while the gateway's compare-and-set waits on the row.

describe.skipIf(testBackend() !== 'postgres')('an external id or alias taken, after a lost compare-and-set', () => {
  it.each([
    ['zenskar', 'external_id'],
    ['meteroid', 'alias'],
  ] as const)(
    '%s: 409 in the dialect envelope, nothing written; before, 500',
    async (dialect, field) => {
      const gw = await testGateway({ CUSTGATE_WRITE_WAIT_MS: '30000' });
      const z = gw.tenant.credentials.zenskar!;
      const zenskar = { 'x-api-key': z.api_key ?? '', organisation: z.organisation ?? '' };
      const create = async (body: Record<string, unknown>) => {
        const res = await gw.request('/zenskar/customers', jsonInit('POST', { customer_name: 'C', ...body }, zenskar));
        expect(res.status, await res.clone().text()).toBe(200);
        return gw.canonical(((await res.json()) as { id: string }).id) as Promise<{ ids: Record<string, string | null> }>;
      };
      const holder = await create(field === 'external_id' ? { external_id: 'taken' } : {});
      const writer = await create({});
      if (field === 'alias') {
        const meteroid = { authorization: `Bearer ${gw.tenant.credentials.meteroid!.api_key}` };
        const res = await gw.request(`/meteroid/api/v1/customers/${holder.ids.public_id}`, jsonInit('PATCH', { alias: 'taken' }, meteroid));
        expect(res.status).toBe(200);
      }

      const pool = (gw.store.executor as PostgresExecutor).pool;
      const other = await pool.connect();
      try {
        // Another process's commit of the writer: its row locked, then a new version.
        await other.query('BEGIN');
        await other.query('UPDATE customers SET version = version + 1 WHERE id = $1', [writer.ids.uuid]);
        const [{ pid }] = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
        const answer =
          dialect === 'zenskar'
            ? gw.request(`/zenskar/customers/${writer.ids.uuid}`, jsonInit('PATCH', { external_id: 'taken' }, zenskar))
            : gw.request(
                `/meteroid/api/v1/customers/${writer.ids.public_id}`,
                jsonInit('PATCH', { alias: 'taken' }, { authorization: `Bearer ${gw.tenant.credentials.meteroid!.api_key}` }),
              );
        // The gateway's compare-and-set is waiting for our row lock: commit, and it finds a version it did not read.
        const blocked = async () =>
          Number((await pool.query('SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid])).rows[0].n) >
          0;
        await until(blocked, 20_000);
        expect(await blocked()).toBe(true);
        await other.query('COMMIT');

        const res = await answer;
        const body = await res.text();
        expect(res.status, body).toBe(409);
        expect(body).toContain(field);
        expect(body).not.toContain('internal');
      } finally {
        other.release();
      }
      const after = await gw.canonical(String(writer.ids.uuid));
      expect(after.ids[field]).toBeNull();
      expect((await gw.canonical(String(holder.ids.uuid))).ids[field]).toBe('taken');
    },
    60_000,
  );
});
