import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createTenant } from './support/registered.ts';
import { openStore } from '../src/open-store.ts';
import { listTenants } from '../src/store/tenant-admin.ts';
import { testEnv } from './support/gateway.ts';
import { failingCli } from './support/processes.ts';
import { testDatabaseEnv, testStore } from './support/store.ts';

// Tenant names are unique in a database (migration 0017), so a name given to a command names one
// tenant; a database that already has duplicates keeps every tenant when it migrates.

describe('unique tenant names', () => {
  it('`tenant create demo` twice: the second is refused, naming the existing tenant, and nothing is created', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const store = await openStore(env);
    const first = await createTenant(store, loadConfig(env), 'demo');
    await expect(createTenant(store, loadConfig(env), 'demo')).rejects.toThrow(first.tenant.id);
    await store.executor.close();
    const failed = await failingCli(['tenant', 'create', 'demo', '--json'], env);
    expect(failed?.code).not.toBe(0);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain(`a tenant named "demo" exists already (${first.tenant.id}`);
    const again = await openStore(env);
    expect((await listTenants(again, new Date())).map((t) => t.name)).toEqual(['demo']);
    await again.executor.close();
  }, 60_000);

  it('a database with duplicate names migrates and keeps every tenant: the later ones become demo-2, demo-3 (or demo-<id> where that is taken)', async () => {
    const store = await testStore({}, { migrateTo: '0016_upstream_webhooks' });
    const rows = [
      { id: 't-1', name: 'demo', created_at: '2026-01-01T00:00:00.000Z' },
      { id: 't-2', name: 'demo', created_at: '2026-01-02T00:00:00.000Z' },
      { id: 't-0', name: 'demo', created_at: '2026-01-02T00:00:00.000Z' },
      { id: 't-3', name: 'acme', created_at: '2026-01-03T00:00:00.000Z' },
      { id: 't-4', name: 'acme', created_at: '2026-01-04T00:00:00.000Z' },
      { id: 't-5', name: 'acme-2', created_at: '2026-01-05T00:00:00.000Z' },
    ];
    for (const row of rows) await store.insertTenant(row);
    await (store.executor as unknown as { migrate(): Promise<void> }).migrate();
    const after = Object.fromEntries((await listTenants(store, new Date())).map((t) => [t.id, t.name]));
    expect(after).toEqual({ 't-1': 'demo', 't-0': 'demo-2', 't-2': 'demo-3', 't-3': 'acme', 't-4': 'acme-t-4', 't-5': 'acme-2' });
    await expect(store.insertTenant({ id: 't-6', name: 'demo', created_at: '2026-01-06T00:00:00.000Z' })).rejects.toThrow();
    await store.executor.close();
  });
});
