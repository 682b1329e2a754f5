import { createServer, type ServerResponse } from 'node:http';
import pg from 'pg';
import { expect, it } from 'vitest';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import { drainUntil } from './support/drain-until.ts';
import { testBackend } from './support/store.ts';
import { addEndpoint, createCustomer, setup } from './support/webhook-setup.ts';

// A dev-server reset empties the tenant's webhook deliveries and their log (docs/dev-server.md).
// A delivery already sent when the reset came must not reappear in the log after it: the log a
// test reads after `POST /gateway/v1/reset` holds only what was sent for the writes made since.

/** A receiver that holds every answer until `release()`: a delivery stays in flight as long as the test wants. */
async function heldReceiver() {
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => held.push(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    held,
    release: () => {
      for (const res of held.splice(0)) res.end('ok');
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

it('an attempt in flight during a reset is not logged after it; what is sent after the reset is', async () => {
  const s = await setup();
  const r = await heldReceiver();
  try {
    const endpoint = await addEndpoint(s, { url: r.url, format: 'stripe' });
    await createCustomer(s, { name: 'Before the reset' });
    const draining = s.webhooks.dispatcher.drain();
    while (r.held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    expect((await s.request('/gateway/v1/reset', { method: 'POST', headers: s.auth() })).status).toBe(200);
    r.release();
    await draining;
    const attempts = async () =>
      (
        (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/attempts`, { headers: s.auth() })).json()) as {
          data: { event: string; status: number }[];
        }
      ).data;
    expect(await attempts()).toEqual([]);

    await createCustomer(s, { name: 'After the reset' });
    const events = (await (await s.request('/v1/events', { headers: s.auth() })).json()) as { data: { id: string }[] };
    expect(events.data).toHaveLength(1);
    const sent = drainUntil(s.webhooks.dispatcher, (sum) => sum.delivered >= 1);
    while (r.held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    r.release();
    await sent;
    expect((await attempts()).map((a) => [a.event, a.status])).toEqual([[events.data[0]?.id, 200]]);
  } finally {
    r.release();
    await r.close();
  }
});

// PostgreSQL: the round's commit and the reset's run on two pool connections, so the one queued
// first need not commit first. Another session holds the delivery row the round settles, so the
// round's commit waits behind it with its attempt written, and the reset is made meanwhile.
it.skipIf(testBackend() !== 'postgres')('PostgreSQL: a round that commits after a reset began leaves no attempt after it', async () => {
  const s = await setup();
  const r = await heldReceiver();
  const executor = s.store.executor as PostgresExecutor;
  const holder = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await holder.connect();
  try {
    const schema = (await executor.pool.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
    await holder.query(`set search_path = "${schema}"`);
    // Sessions waiting behind the holder, or behind one that waits for it (others may share the server).
    const waiting = async () =>
      Number(
        (
          await holder.query<{ n: string }>(
            `with direct as (select pid from pg_stat_activity where pg_blocking_pids(pid) @> array[pg_backend_pid()])
             select (select count(*) from direct) + (select count(*) from pg_stat_activity
               where pid not in (select pid from direct) and pg_blocking_pids(pid) && array(select pid from direct)) as n`,
          )
        ).rows[0]!.n,
      );
    const endpoint = await addEndpoint(s, { url: r.url, format: 'stripe' });
    await createCustomer(s, { name: 'Before the reset' });
    const draining = s.webhooks.dispatcher.drain();
    while (r.held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Leased and sent: now its row is held elsewhere, and the round's settle waits for it.
    await holder.query('begin');
    await holder.query('select 1 from webhook_deliveries for update');
    r.release();
    while ((await waiting()) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const reset = s.request('/gateway/v1/reset', { method: 'POST', headers: s.auth() });
    while ((await waiting()) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await holder.query('commit');
    const resetAnswer = await reset;
    expect(resetAnswer.status).toBe(200);
    await draining;
    const attempts = (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/attempts`, { headers: s.auth() })).json()) as {
      data: unknown[];
    };
    expect(attempts.data).toEqual([]);
  } finally {
    await holder.end();
    r.release();
    await r.close();
  }
});
