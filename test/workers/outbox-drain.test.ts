import { env } from 'cloudflare:test';
import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type CreatedTenant, createApp, createTenant, registeredDialects } from '../support/registered.ts';
import { type GatewayConfig, loadConfig } from '../../src/config.ts';
import type { Store } from '../../src/store/index.ts';
import { Dispatcher } from '../../src/outbox/dispatcher.ts';
import type { ReplicaTarget, UpstreamPort } from '../../src/outbox/types.ts';
import { FakeUpstream } from '../support/fake-upstream.ts';
import { outboxColumns, outboxRows, PAST } from '../support/outbox-rows.ts';
import { testStore } from '../support/store.ts';

// On Workers the isolate may stop as soon as the response is out: a write's deliveries are sent
// inside waitUntil, on D1, and what is left (a retry) goes out on a later drain (the cron handler).

/** The app as the worker serves it, its waitUntil promises collected, and the tenant's form-post headers. */
function edgeApp(
  store: Store,
  config: GatewayConfig,
  tenant: CreatedTenant,
  replicas: (id: string) => Promise<ReplicaTarget[]>,
  dispatcher: Dispatcher,
) {
  const app = createApp({ store, config, logger: { error: () => undefined }, replication: { replicas, dispatcher } });
  const waits: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void waits.push(p), passThroughOnException: () => undefined, props: {} };
  const auth = {
    authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`,
    'content-type': 'application/x-www-form-urlencoded',
  };
  return { app, waits, ctx, auth };
}

describe('the outbox on workerd + D1', () => {
  it("records the delivery in the write's batch and drains it in waitUntil", async () => {
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-mirror');
    const upstream = new FakeUpstream();
    const replicas = async (id: string): Promise<ReplicaTarget[]> =>
      id === tenant.tenant.id ? [{ id: 'up_edge', dialect: 'zenskar', mode: 'shadow' }] : [];
    const dispatcher = new Dispatcher({ store, port: upstream, replicas, dialects: registeredDialects, baseDelayMs: 1 });
    const { app, waits, ctx, auth } = edgeApp(store, config, tenant, replicas, dispatcher);

    // The first send fails (503): the write is still acknowledged; the delivery waits for a retry.
    upstream.faults.push(() => ({ kind: 'retry', error: 'HTTP 503', retryAfterMs: 0 }));
    const res = await app.fetch(
      new Request('https://custgate.test/v1/customers', { method: 'POST', headers: auth, body: 'name=Edge&email=edge%40example.com' }),
      env,
      ctx,
    );
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(waits.length).toBe(1);
    await Promise.all(waits);
    const row = await env.DB.prepare(
      'select o.state, o.attempts from outbox o join customers c on c.id = o.customer_id where c.public_id = ?',
    )
      .bind(id)
      .all();
    // Retry-After: 0 makes it due at once, so the same drain sent it on its second round.
    expect(row.results).toEqual([{ state: 'delivered', attempts: 2 }]);
    expect(upstream.received.map((w) => w.version)).toEqual([1]);
    const checks = await env.DB.prepare('select mismatches from shadow_checks where upstream_id = ?').bind('up_edge').all();
    expect(checks.results).toEqual([{ mismatches: 0 }]);
  });

  it('holds a down upstream: one request for its backlog, the rest put back unsent; once it is up, one drain delivers all in order', async () => {
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-down');
    const upstream = new FakeUpstream();
    let down = true;
    let sends = 0;
    const port: UpstreamPort = {
      deliver: (work, signal) => {
        sends++;
        return down ? Promise.resolve({ kind: 'retry', error: 'the upstream could not be reached' }) : upstream.deliver(work, signal);
      },
      read: (tenantId, target, customerId, base) => upstream.read(tenantId, target, customerId, base),
      expected: (...a) => upstream.expected(...a),
    };
    const replicas = async (id: string): Promise<ReplicaTarget[]> =>
      id === tenant.tenant.id ? [{ id: 'up_down', dialect: 'zenskar', mode: 'mirror' }] : [];
    // The dispatcher's clock, moved on once the upstream is back (past every hold and backoff).
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    const dispatcher = new Dispatcher({ store, port, replicas, dialects: registeredDialects, baseDelayMs: 60_000, now });
    const { app, waits, ctx, auth } = edgeApp(store, config, tenant, replicas, dispatcher);
    const post = async (path: string, body: string) => {
      const res = await app.fetch(new Request(`https://custgate.test${path}`, { method: 'POST', headers: auth, body }), env, ctx);
      expect(res.status).toBe(200);
      await Promise.all(waits.splice(0));
      return (await res.json()) as { id: string };
    };
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { id } = await post('/v1/customers', `name=Down+${i}`);
      await post(`/v1/customers/${id}`, `name=Down+${i}+v2`);
      ids.push(id);
    }
    const rows = async (): Promise<{ state: string; attempts: number }[]> =>
      (await env.DB.prepare("select state, attempts from outbox where upstream_id = 'up_down' order by customer_id, version").all())
        .results as { state: string; attempts: number }[];
    // The first write's drain failed once and held the upstream; every later drain put its row back unsent.
    expect(sends).toBe(1);
    expect((await rows()).map((r) => r.state)).toEqual(Array(12).fill('pending'));
    expect((await rows()).reduce((n, r) => n + r.attempts, 0)).toBe(1);

    down = false;
    offset = 3_600_000;
    const report = await dispatcher.drain({ deadline: Date.now() + 20_000 });
    expect(report).toMatchObject({ delivered: 12, dead: 0 });
    expect((await rows()).map((r) => r.state)).toEqual(Array(12).fill('delivered'));
    expect((await rows()).reduce((n, r) => n + r.attempts, 0)).toBe(sends);
    for (const id of ids) {
      const internal = await env.DB.prepare('select id from customers where public_id = ?').bind(id).first<{ id: string }>();
      expect(upstream.versions(internal!.id)).toEqual([1, 2]);
    }
  });

  // The round's fair half (src/outbox/round-pick.ts) on D1's query: the latest due read backwards,
  // at most 64 rows. Rows written straight in, long due at the dispatcher's clock; their tenants
  // have no mirror, so each ends dead unsent (what the rounds are made of is all this counts).
  it("makes a round half of the latest due: another upstream's row is not held back by a backlog, and a customer's second version never goes before its first", async () => {
    const store = await testStore();
    const NOW = '2026-06-01T00:00:00.000Z';
    await store.executor.run(
      CompiledQuery.raw(
        `insert into outbox (${outboxColumns})
         with recursive n(i) as (select 1 union all select i + 1 from n where i < 12),
           vv(v, at) as (select 1, '${PAST}' union all select 2, '2026-01-02T00:00:00.000Z')
         select 'up_fair_a', 'fair_' || n.i, vv.v, 'ten_fair_a', 'update', 'pending', 0, vv.at, null, null, null, vv.at, vv.at
         from n, vv`,
      ),
    );
    await outboxRows(store.executor, 1, { upstream: 'up_fair_b', tenant: 'ten_fair_b', prefix: 'fair_b_', state: 'pending' });
    await store.executor.run(
      CompiledQuery.raw("update outbox set next_attempt_at = '2026-01-03T00:00:00.000Z' where upstream_id = 'up_fair_b'"),
    );
    const latest = await store.outbox.due(NOW, 4, true);
    expect(latest.map((d) => `${d.upstream_id}@${d.version}`)).toEqual(['up_fair_b@1', 'up_fair_a@1', 'up_fair_a@1', 'up_fair_a@1']);

    const dispatcher = new Dispatcher({
      store,
      port: new FakeUpstream(),
      replicas: async () => [],
      dialects: registeredDialects,
      now: () => new Date(NOW),
    });
    const outbox = store.outbox;
    const claimMany = outbox.claimMany.bind(outbox);
    const rounds: string[][] = [];
    outbox.claimMany = async (rows, owner, now, until) => {
      rounds.push(rows.map((r) => `${r.customer_id}@${r.version}`));
      return claimMany(rows, owner, now, until);
    };
    const report = await dispatcher.drain({ deadline: Date.now() + 20_000 });
    outbox.claimMany = claimMany;
    expect(report.dead).toBe(25);
    expect(rounds[0]).toContain('fair_b_1@1');
    const roundOf = (key: string) => rounds.findIndex((r) => r.includes(key));
    for (let i = 1; i <= 12; i++) expect(roundOf(`fair_${i}@1`)).toBeLessThan(roundOf(`fair_${i}@2`));
  });
});
