import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { healthDepthCap } from '../src/http/gateway-api.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { depthQuery } from '../src/store/outbox.ts';
import { probeAuth, type TestGateway, testGateway } from './support/gateway.ts';
import { outboxRows } from './support/outbox-rows.ts';
import { testBackend } from './support/store.ts';

// The detailed health (GET /gateway/v1/health with the probe token) shows the outbox's depth. A
// load balancer or monitor polls it every few seconds, so it must cost the same at a million
// pending deliveries as at ten: each state is counted up to 10,000 (`capped` past that). The
// backlog size is a knob for longer local runs; it only has to pass the cap.

const BACKLOG = Number(process.env.CUSTGATE_HEALTH_DEPTH_BACKLOG ?? 12_000);
let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway();
});

afterAll(async () => {
  await gw?.store.executor.close();
});

const depth = async () => {
  const res = await gw.request('/gateway/v1/health', { headers: probeAuth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { outbox: unknown }).outbox;
};

it('shows the exact counts up to 10,000; past that 10,000 with capped: true; never to a caller without the probe token', async () => {
  expect(await depth()).toEqual({ pending: 0, dead: 0, capped: false });
  await outboxRows(gw.store.executor, 3, { upstream: 'up_h', tenant: 'ten_h', prefix: 'cus_dead', state: 'dead' });
  await outboxRows(gw.store.executor, healthDepthCap, { upstream: 'up_h', tenant: 'ten_h', prefix: 'cus_p', state: 'pending' });
  // Exactly at the cap is still exact.
  expect(await depth()).toEqual({ pending: healthDepthCap, dead: 3, capped: false });
  await outboxRows(gw.store.executor, BACKLOG - healthDepthCap, { upstream: 'up_h', tenant: 'ten_h', prefix: 'cus_q', state: 'pending' });
  await outboxRows(gw.store.executor, 5, { upstream: 'up_h', tenant: 'ten_h', prefix: 'cus_done', state: 'delivered' });
  expect(await depth()).toEqual({ pending: healthDepthCap, dead: 3, capped: true });
  expect(await (await gw.request('/gateway/v1/health')).json()).toEqual({ status: 'ok' });
});

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

const scans = (node: PlanNode): PlanNode[] => [...(/Scan/.test(node['Node Type']) ? [node] : []), ...(node.Plans ?? []).flatMap(scans)];

it.runIf(testBackend() === 'postgres')(
  'PostgreSQL reads at most 10,001 outbox rows per state for it, however many are pending',
  async () => {
    // Runs after the test above: the backlog is in place. A table PostgreSQL never analyzed gets
    // default estimates (9 rows here), under which it builds a bitmap of every index entry in the
    // state before the limit; autovacuum analyzes a live outbox after its first 50 changes
    // (https://www.postgresql.org/docs/current/routine-vacuuming.html).
    await gw.store.executor.run(CompiledQuery.raw('analyze outbox'));
    expect(await gw.store.outbox.depth(healthDepthCap)).toEqual({ pending: healthDepthCap, dead: 3, capped: true });
    const query = depthQuery(queryBuilder(gw.store.executor.backend), healthDepthCap);
    const [plan] = await gw.store.executor.all<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`explain (analyze, format json) ${query.sql}`, [...query.parameters]),
    );
    const read = scans(plan!['QUERY PLAN'][0].Plan).map((s) => s['Actual Rows'] * s['Actual Loops']);
    expect(read.length, JSON.stringify(plan)).toBeGreaterThan(0);
    expect(Math.max(...read), JSON.stringify(plan)).toBeLessThanOrEqual(healthDepthCap + 1);
  },
);
