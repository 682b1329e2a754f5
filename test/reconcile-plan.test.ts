import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { customersQuery, linksQuery } from '../src/outbox/reconcile.ts';
import type { UpstreamRow } from '../src/store/index.ts';
import { testBackend, testStore } from './support/store.ts';

// #27: reconcile reads, for each page the upstream lists, the local customers linked to it. It
// used to join customers on their id alone; customers are keyed by (tenant, id), so SQLite scanned
// the whole table for every link: a reconcile of 100,000 linked customers ran for over 20 minutes
// (the migration bench row). Each read must go through an index, whatever the book's size.

describe.runIf(testBackend() === 'sqlite')('reconcile: the page read of linked customers', () => {
  it('finds links by (upstream, remote id) and customers by (tenant, id), scanning no table', async () => {
    const store = await testStore();
    const row = { id: 'ups_a', tenant_id: 'ten_a' } as UpstreamRow;
    const links = linksQuery(store, row, ['r1', 'r2', 'r3']);
    const customers = customersQuery(store, row, ['c1', 'c2', 'c3']);
    const plan = async (q: CompiledQuery) =>
      (await store.executor.all<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]))).map(
        (p) => p.detail,
      );
    const linkPlan = await plan(links);
    expect(linkPlan.join('\n')).toMatch(/^SEARCH upstream_links USING INDEX upstream_links_remote \(upstream_id=\? AND remote_id=\?\)/);
    const customerPlan = await plan(customers);
    expect(customerPlan.join('\n')).toMatch(/^SEARCH customers USING INDEX \S+ \(tenant_id=\? AND id=\?\)/);
    expect([...linkPlan, ...customerPlan].filter((d) => d.startsWith('SCAN'))).toEqual([]);
  });
});
