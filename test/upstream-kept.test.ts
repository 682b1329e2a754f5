import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/open-store.ts';
import type { Store } from '../src/store/index.ts';
import { removeUpstream } from '../src/upstream/registry.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addUpstream, type CreatedTenant, createApp, createTenant, type GatewayApp, replicationFor } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';

// A gateway routes a tenant's writes by what it keeps of the tenant's upstreams. It does not read
// them again before each write: the write's own atomic unit checks that the tenant's upstream
// counter is still the one it kept (PostgreSQL in the write's statement, SQLite on the write
// connection inside its transaction), and is undone and routed afresh when it moved
// (src/upstream/customers.ts). Two stores on one database stand for two processes: an upstream
// added or removed through the other must change this gateway's very next write, even though this
// gateway wrote for the tenant just before. CUSTGATE_TEST_KEPT_ROUNDS: more add/remove rounds.

const rounds = Number(process.env.CUSTGATE_TEST_KEPT_ROUNDS ?? 3);

describe('writes routed by the upstreams a gateway keeps', () => {
  const stores: Store[] = [];
  let app: GatewayApp;
  let other: Store;
  let tenant: CreatedTenant;
  let env: Record<string, string>;
  const auth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` });

  beforeAll(async () => {
    env = { ...testEnv, ...testDatabaseEnv() };
    const config = loadConfig(env);
    for (let i = 0; i < 2; i++) stores.push(await openStore(env, { onError: () => undefined }));
    const [mine, theirs] = stores as [Store, Store];
    other = theirs;
    const logger = { error: () => undefined };
    const replication = replicationFor(mine, config, { logger });
    app = createApp({ store: mine, config, logger, replication: { ...replication, drainAfterWrite: false } });
    tenant = await createTenant(mine, config, 'kept');
  });
  afterAll(async () => {
    for (const store of stores) await store.executor.close();
  });

  const update = async (id: string, name: string) => {
    const res = await app.request(`/v1/customers/${id}`, jsonInit('POST', { name }, auth()));
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const deliveries = async (id: string) => {
    const res = await app.request(`/gateway/v1/customers/${id}/deliveries`, { headers: auth() });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { upstream: string; version: number }[] }).data;
  };

  it('records a delivery to a mirror the other process added on the next write, and none once it removed it', async () => {
    const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Kept' }, auth()));
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    await update(id, 'Kept 0');
    expect(await deliveries(id)).toEqual([]);

    for (let round = 1; round <= rounds; round++) {
      // Through the other process: this gateway does not hear of it, it only writes.
      const mirror = await addUpstream(other, keyringFor(loadConfig(env), other.upstreams), tenant.tenant.id, {
        dialect: 'wooshpay',
        baseUrl: 'http://127.0.0.1:9/unreachable',
        mode: 'mirror',
        credentials: tenant.credentials.wooshpay!,
      });
      // Adding a mirror records a delivery of the current state (src/outbox/backfill.ts); the write adds its own.
      const added = (await deliveries(id)).filter((d) => d.upstream === mirror.id).length;
      await update(id, `Kept ${round}a`);
      const after = await deliveries(id);
      expect(after.filter((d) => d.upstream === mirror.id)).toHaveLength(added + 1);

      expect(await removeUpstream(other, tenant.tenant.id, mirror.id)).toBe(true);
      await update(id, `Kept ${round}b`);
      expect(await deliveries(id)).toHaveLength(after.length);
    }
  });
});
