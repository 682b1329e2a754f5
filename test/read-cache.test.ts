import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/open-store.ts';
import type { Store } from '../src/store/index.ts';
import { dialects } from '../dialects/index.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { type CreatedTenant, createApp, createTenant, type GatewayApp, reissueCredentials } from './support/registered.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { testDatabaseEnv } from './support/store.ts';

// Retrieves are served from per-process caches (src/store/read-cache.ts for rows on SQLite,
// src/core/kept-customers.ts and src/http/rendered-reads.ts for customers and their answers on
// every backend). Two gateways on one database stand for
// two processes: what one writes, the other's next retrieve must show, whatever it read before.
// CUSTGATE_TEST_READ_ROUNDS raises the number of write/read rounds for longer local runs.

const rounds = Number(process.env.CUSTGATE_TEST_READ_ROUNDS ?? 12);

describe('retrieves served from the read caches never go stale', () => {
  const stores: Store[] = [];
  let a: GatewayApp;
  let b: GatewayApp;
  let tenant: CreatedTenant;
  let other: CreatedTenant;
  let auth: Record<string, string>;

  beforeAll(async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const config = loadConfig(env);
    for (let i = 0; i < 2; i++) stores.push(await openStore(env, { onError: () => undefined }));
    [a, b] = stores.map((store) => createApp({ store, config, logger: { error: () => undefined } })) as [GatewayApp, GatewayApp];
    tenant = await createTenant(stores[0]!, config, 'acme');
    other = await createTenant(stores[0]!, config, 'other');
    auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  });
  afterAll(async () => {
    for (const store of stores) await store.executor.close();
  });

  const create = async (app: GatewayApp, name: string) => {
    const res = await app.request('/v1/customers', jsonInit('POST', { name }, auth));
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  const update = async (app: GatewayApp, id: string, body: unknown) => {
    const res = await app.request(`/v1/customers/${id}`, jsonInit('POST', body, auth));
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const retrieve = async (app: GatewayApp, id: string, headers = auth, query = '') => {
    const res = await app.request(`/v1/customers/${id}${query}`, { headers });
    return { status: res.status, etag: res.headers.get('etag'), text: await res.text() };
  };
  const description = (text: string) => (JSON.parse(text) as { description: string | null }).description;

  it('shows every update made through the other gateway, at its version', async () => {
    const id = await create(b, 'Shared');
    for (let i = 0; i < rounds; i++) {
      // Twice: the second is answered from what the first kept.
      await retrieve(a, id);
      await retrieve(a, id);
      await update(b, id, { description: `step ${i}` });
      const seen = await retrieve(a, id);
      expect(seen.status).toBe(200);
      expect(description(seen.text)).toBe(`step ${i}`);
      expect(seen.etag).toBe(`"v${i + 2}"`);
    }
  });

  it('shows its own updates at once, and each gateway answers an unchanged customer alike', async () => {
    const id = await create(a, 'Own');
    for (let i = 0; i < rounds; i++) {
      await retrieve(a, id);
      await update(a, id, { metadata: { round: String(i) } });
      const seen = await retrieve(a, id);
      expect((JSON.parse(seen.text) as { metadata: Record<string, string> }).metadata).toEqual({ round: String(i) });
    }
    // The kept answer is the answer: byte for byte what a gateway that never read it renders.
    const kept = await retrieve(a, id);
    expect((await retrieve(a, id)).text).toBe(kept.text);
    expect((await retrieve(b, id)).text).toBe(kept.text);
    // Another rendering of the same row (expand[]) is not the kept one, nor the other way round.
    const expanded = await retrieve(a, id, auth, '?expand[]=tax_ids');
    expect(expanded.status, expanded.text).toBe(200);
    expect(JSON.parse(expanded.text)).toHaveProperty('tax_ids');
    expect(JSON.parse((await retrieve(a, id)).text)).not.toHaveProperty('tax_ids');
  });

  it('answers a customer deleted through the other gateway as deleted', async () => {
    const id = await create(a, 'Doomed');
    await retrieve(a, id);
    await retrieve(a, id);
    const removed = await b.request(`/v1/customers/${id}`, { method: 'DELETE', headers: auth });
    expect(removed.status).toBe(200);
    const seen = await retrieve(a, id);
    expect(JSON.parse(seen.text)).toMatchObject({ id, deleted: true });
  });

  it("never answers one tenant's retrieve from another tenant's kept customer", async () => {
    const id = await create(a, 'Private');
    expect((await retrieve(a, id)).status).toBe(200);
    expect((await retrieve(a, id)).status).toBe(200);
    const stranger = { authorization: `Bearer ${other.credentials.wooshpay!.secret_key}` };
    for (const app of [a, b]) {
      const seen = await retrieve(app, id, stranger);
      expect(seen.status).toBe(404);
      expect(seen.text).not.toContain('Private');
    }
  });

  it("shares a kept answer between a tenant's keys of one mode, never with the other mode", async () => {
    const config = loadConfig({ ...testEnv, ...testDatabaseEnv() });
    const bearer = (key: string | undefined) => ({ authorization: `Bearer ${key}` });
    const second = bearer((await reissueCredentials(stores[0]!, config, tenant.tenant, dialects.wooshpay)).secret_key);
    const live = bearer((await reissueCredentials(stores[0]!, config, tenant.tenant, dialects.wooshpay, { livemode: true })).secret_key);
    const id = await create(a, 'Both modes');
    // A customer written before modes were recorded is visible to both; Wooshpay renders the mode of the key.
    const db = queryBuilder(stores[0]!.executor.backend);
    await stores[0]!.executor.run(db.updateTable('customers').set({ livemode: null }).where('public_id', '=', id).compile());
    const kept = await retrieve(a, id);
    expect(JSON.parse(kept.text)).toMatchObject({ id, livemode: false });
    expect((await retrieve(a, id, second)).text).toBe(kept.text);
    const seen = await retrieve(a, id, live);
    expect(seen.status).toBe(200);
    expect(JSON.parse(seen.text)).toMatchObject({ id, livemode: true });
    expect((await retrieve(a, id)).text).toBe(kept.text);
  });
});
