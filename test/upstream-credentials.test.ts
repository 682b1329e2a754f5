import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant, createApp, addUpstream } from './support/registered.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import type { Store, UpstreamRow } from '../src/store/index.ts';
import { newSecretsKey } from '../src/auth/crypto.ts';
import { keyringFor, openCredentials } from '../src/upstream/secrets.ts';
import { testEnv, testGateway } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { testDatabaseEnv, testStore } from './support/store.ts';

// Upstream credentials in a database someone else can write (issue #26, items 3 and 9): sealed
// with their tenant, upstream id, dialect and base URL as AES-GCM associated data, so pointing
// an upstream at another listener, dialect or tenant makes them unreadable instead of sending
// them there. Unreadable credentials are a 502 in the caller's envelope (no "retry"), logged
// once with the upstream id, and shown in the detailed health and `custgate upstream list`.

const probeToken = 'probe-token-for-the-tests-0123456789';

interface Logged {
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A gateway whose tenant proxies to a second, in-process gateway; every outgoing call recorded. */
async function proxied(env: Record<string, string> = {}, store?: Store) {
  const provider = await testGateway();
  const calls: string[] = [];
  const logged: Logged[] = [];
  const own = store ?? (await testStore());
  const config = loadConfig({ ...testEnv, CUSTGATE_PROBE_TOKEN: probeToken, ...env });
  const app = createApp({
    store: own,
    config,
    logger: { error: (event, fields) => logged.push({ event, fields }) },
    fetch: async (url, init) => {
      calls.push(url);
      return new URL(url).host === 'provider.test' ? provider.app.request(url, init) : new Response('{}', { status: 200 });
    },
  });
  const tenant = await createTenant(own, config, 'acme');
  const other = await createTenant(own, config, 'other');
  const added = await addUpstream(own, keyringFor(config, own.upstreams), tenant.tenant.id, {
    dialect: 'wooshpay',
    baseUrl: 'http://provider.test/wooshpay',
    mode: 'proxy',
    credentials: provider.tenant.credentials.wooshpay,
  });
  const create = (key = tenant.credentials.wooshpay!.secret_key!) =>
    app.request('/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Ada',
    });
  const tamper = async (set: Partial<UpstreamRow>) => {
    const db = queryBuilder(own.executor.backend);
    await own.executor.run(db.updateTable('upstreams').set(set).where('id', '=', added.id).compile());
  };
  const health = async () =>
    (await (await app.request('/gateway/v1/health', { headers: { authorization: `Bearer ${probeToken}` } })).json()) as {
      upstreams: { credentials_unreadable: string[] | null };
    };
  return { app, store: own, config, tenant, other, upstream: added, calls, logged, create, tamper, health };
}

async function expectUnreadable(res: Response, upstreamId: string): Promise<void> {
  expect(res.status).toBe(502);
  const body = (await res.json()) as { error: { type: string; message: string } };
  expect(body.error.type).toBe('api_error');
  expect(body.error.message).toContain(upstreamId);
  expect(body.error.message).not.toMatch(/retry/i);
}

describe('upstream credentials bound to what they were entered for', () => {
  it.each([
    ['base URL (a listener of the attacker)', { base_url: 'http://attacker.test/wooshpay' }],
    ['dialect', { dialect: 'connhex' }],
  ] as const)('changing the %s makes them unreadable: 502, nothing sent, logged once, in health', async (_what, change) => {
    const g = await proxied();
    expect((await g.create()).status).toBe(200);
    expect(g.calls).toHaveLength(1);
    expect((await g.health()).upstreams.credentials_unreadable).toEqual([]);

    await g.tamper(change);
    await expectUnreadable(await g.create(), g.upstream.id);
    await expectUnreadable(await g.create(), g.upstream.id);
    // Nothing went out: the credentials never reached the new address.
    expect(g.calls).toHaveLength(1);
    const events = g.logged.filter((l) => l.event === 'upstream_credentials_unreadable');
    expect(events).toEqual([{ event: 'upstream_credentials_unreadable', fields: expect.objectContaining({ upstream: g.upstream.id }) }]);
    expect((await g.health()).upstreams.credentials_unreadable).toEqual([g.upstream.id]);
  });

  it('a row moved to another tenant does not open for it', async () => {
    const g = await proxied();
    await g.tamper({ tenant_id: g.other.tenant.id });
    await expectUnreadable(await g.create(g.other.credentials.wooshpay!.secret_key!), g.upstream.id);
    expect(g.calls).toHaveLength(0);
    // And the tenant it was taken from has no proxy any more: its writes stay local.
    expect((await g.create()).status).toBe(200);
  });

  it('a changed CUSTGATE_SECRETS_KEY: 502 naming the upstream, logged once', async () => {
    const store = await testStore();
    const first = await proxied({ CUSTGATE_SECRETS_KEY: newSecretsKey() }, store);
    expect((await first.create()).status).toBe(200);
    const logged: Logged[] = [];
    const config = loadConfig({ ...testEnv, CUSTGATE_SECRETS_KEY: newSecretsKey() });
    const second = createApp({ store, config, logger: { error: (event, fields) => logged.push({ event, fields }) } });
    const key = first.tenant.credentials.wooshpay!.secret_key!;
    for (let i = 0; i < 3; i++) {
      const res = await second.request('/v1/customers', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=Ada',
      });
      await expectUnreadable(res, first.upstream.id);
    }
    expect(logged.filter((l) => l.event === 'upstream_credentials_unreadable')).toHaveLength(1);
  });

  it('a row sealed in the old form (tenant and id only) keeps working and is re-sealed with the full binding', async () => {
    const g = await proxied();
    const keyring = keyringFor(g.config, g.store.upstreams);
    const [row] = await g.store.upstreams.list(g.tenant.tenant.id);
    const { plaintext } = await openCredentials(keyring, row!);
    // What the gateway wrote before: additional data `custgate-upstream:<tenant>:<id>`, version v1.
    const legacy = (await keyring.encrypt(plaintext, `custgate-upstream:${row!.tenant_id}:${row!.id}`)).replace(/^v2\./, 'v1.');
    await g.tamper({ credentials: legacy });
    expect((await g.create()).status).toBe(200);
    const [resealed] = await g.store.upstreams.list(g.tenant.tenant.id);
    expect(resealed!.credentials).toMatch(/^v2\./);
    await g.tamper({ base_url: 'http://attacker.test/wooshpay' });
    await expectUnreadable(await g.create(), g.upstream.id);
    expect(g.calls.filter((c) => c.includes('attacker.test'))).toEqual([]);
  });

  it('a v2 ciphertext relabelled v1 does not open with the weaker binding', async () => {
    const g = await proxied();
    const [row] = await g.store.upstreams.list(g.tenant.tenant.id);
    await g.tamper({ credentials: row!.credentials.replace(/^v2\./, 'v1.'), base_url: 'http://attacker.test/wooshpay' });
    await expectUnreadable(await g.create(), g.upstream.id);
    expect(g.calls).toHaveLength(0);
  });
});

describe('custgate upstream list', () => {
  it('says which upstreams have credentials this gateway cannot read', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const store = await openStore(env);
    let tenantId: string;
    const ids: string[] = [];
    try {
      const config = loadConfig(env);
      const made = await createTenant(store, config, 'acme');
      tenantId = made.tenant.id;
      for (const mode of ['mirror', 'shadow']) {
        const input = { dialect: 'wooshpay', baseUrl: 'http://127.0.0.1:9/wooshpay', mode, credentials: made.credentials.wooshpay };
        ids.push((await addUpstream(store, keyringFor(config, store.upstreams), tenantId, input)).id);
      }
      const db = queryBuilder(store.executor.backend);
      await store.executor.run(db.updateTable('upstreams').set({ base_url: 'http://attacker.test' }).where('id', '=', ids[1]!).compile());
    } finally {
      await store.executor.close();
    }
    const listed = JSON.parse(await runCli(['upstream', 'list', tenantId, '--json'], env)) as {
      id: string;
      credentials_readable: boolean;
    }[];
    expect(listed.map((u) => [u.id, u.credentials_readable]).sort()).toEqual(
      [
        [ids[0], true],
        [ids[1], false],
      ].sort(),
    );
  }, 60_000);
});
