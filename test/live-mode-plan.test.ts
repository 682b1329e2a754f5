import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { liveCustomerQuery } from '../src/store/tenant-admin.ts';
import { testBackend, testStore } from './support/store.ts';

// Whether a tenant has a live customer (src/store/tenant-admin.ts) is asked on every upstream
// change and create-attempt read by a test key. It read every customer of a tenant that has no live
// one: at 100,000 customers of about 1 KB, 27 to 35 ms per call on SQLite, 35 to 125 ms on
// PostgreSQL (migration 0057). It must be a read of one index entry, whatever the book's size.

describe.runIf(testBackend() === 'sqlite')('whether a tenant has a live customer', () => {
  it("is looked up in an index on (tenant, livemode), not across the tenant's customers", async () => {
    const store = await testStore();
    const q = liveCustomerQuery(store, 'ten_a');
    const plan = (await store.executor.all<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]))).map(
      (p) => p.detail,
    );
    expect(plan.join('\n')).toMatch(/^SEARCH customers USING (COVERING )?INDEX customers_tenant_livemode \(tenant_id=\? AND livemode=\?\)/);
  });
});
