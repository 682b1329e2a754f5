import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createTenant } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { jsonInit, type TestGateway, tenantSigningKey, testEnv, testGateway } from './support/gateway.ts';
import { testDatabaseEnv } from './support/store.ts';

// JWT signing material (issue #13): no secret in the source, one key per tenant, kept in the store.

const oldDevSecret = 'custgate-development-secret-do-not-use-in-production';
const encode = (text: string) => new TextEncoder().encode(text);

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

interface Forge {
  readonly dialect: 'connhex' | 'bigcapital';
  readonly tenant: string;
  readonly key: Uint8Array;
  readonly kid?: string | undefined;
}

/** A token shaped exactly like the ones the gateway issues, signed with whatever key is given. */
function forge({ dialect, tenant, key, kid }: Forge): Promise<string> {
  const claims =
    dialect === 'connhex' ? { tenant, permissions: ['pay:customers:get', 'pay:customers:update'] } : { organizations: [tenant] };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
    .setIssuer('custgate')
    .setAudience(`custgate:${dialect}`)
    .setSubject('attacker')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key);
}

function readWith(
  app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> },
  dialect: Forge['dialect'],
  token: string,
  tenant: string,
) {
  return dialect === 'connhex'
    ? app.request('/connhex/customers/cus_missing000000', { headers: { authorization: `Bearer ${token}` } })
    : app.request('/api/customers/1', { headers: { authorization: `Bearer ${token}`, 'organization-id': tenant } });
}

describe('JWT signing keys', () => {
  it('has no development secret: a token signed with the old built-in string is refused whatever NODE_ENV says', async () => {
    for (const nodeEnv of [undefined, 'development', 'test', 'prod', 'Production', 'production']) {
      const env: Record<string, string> = nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv };
      const app = createApp({ store: gw.store, config: loadConfig(env), logger: { error: () => undefined } });
      for (const dialect of ['connhex', 'bigcapital'] as const) {
        for (const kid of [undefined, gw.tenant.tenant.id]) {
          const token = await forge({ dialect, tenant: gw.tenant.tenant.id, key: encode(oldDevSecret), kid });
          const res = await readWith(app, dialect, token, gw.tenant.tenant.id);
          expect(res.status, `${dialect} NODE_ENV=${nodeEnv} kid=${kid}`).toBe(401);
        }
      }
    }
  });

  it("keeps each tenant's own random key in the store, different per tenant", async () => {
    const a = await tenantSigningKey(gw.store, gw.tenant.tenant.id);
    const b = await tenantSigningKey(gw.store, gw.other.tenant.id);
    expect(a.byteLength).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("lets no token signed with tenant A's key act on tenant B, whatever its claims or kid say", async () => {
    const keyA = await tenantSigningKey(gw.store, gw.tenant.tenant.id);
    const a = gw.tenant.tenant.id;
    const b = gw.other.tenant.id;
    for (const dialect of ['connhex', 'bigcapital'] as const) {
      // Names B in its claims, A in its kid: the key checks out, the tenant does not.
      expect((await readWith(gw.app, dialect, await forge({ dialect, tenant: b, key: keyA, kid: a }), b)).status).toBe(401);
      // Names B everywhere but is signed with A's key: B's key does not verify it.
      expect((await readWith(gw.app, dialect, await forge({ dialect, tenant: b, key: keyA, kid: b }), b)).status).toBe(401);
      // The control: A's key for A is accepted (404: no such customer, but authenticated).
      expect((await readWith(gw.app, dialect, await forge({ dialect, tenant: a, key: keyA, kid: a }), a)).status).toBe(404);
    }
  });

  it('answers 401 to a token whose kid names a tenant that does not exist', async () => {
    const ghost = crypto.randomUUID();
    const token = await forge({ dialect: 'connhex', tenant: ghost, key: crypto.getRandomValues(new Uint8Array(32)), kid: ghost });
    const res = await gw.request('/connhex/customers', jsonInit('POST', { name: 'x' }, { authorization: `Bearer ${token}` }));
    expect(res.status).toBe(401);
  });

  it('with CUSTGATE_JWT_SECRET set, derives a key per tenant from it (a token for A still cannot name B)', async () => {
    const env = { CUSTGATE_JWT_SECRET: 'an-operator-secret-of-at-least-32-bytes!' };
    const config = loadConfig(env);
    const app = createApp({ store: gw.store, config, logger: { error: () => undefined } });
    const created = await createTenant(gw.store, config, 'derived');
    const token = created.credentials.connhex!.token!;
    expect((await app.request('/connhex/customers/cus_missing000000', { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    // The raw secret itself is no tenant's key.
    const raw = await forge({
      dialect: 'connhex',
      tenant: created.tenant.id,
      key: encode(env.CUSTGATE_JWT_SECRET),
      kid: created.tenant.id,
    });
    expect((await readWith(app, 'connhex', raw, created.tenant.id)).status).toBe(401);
  });
});

describe('tokens printed by tenant create survive a restart', () => {
  const env = { ...testEnv, ...testDatabaseEnv() };
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('verifies after the store is closed and opened again', async () => {
    const first = await openStore(env);
    const created = await createTenant(first, loadConfig(env), 'restart');
    await first.executor.close();

    const second = await openStore(env);
    closers.push(() => second.executor.close());
    const app = createApp({ store: second, config: loadConfig(env), logger: { error: () => undefined } });
    const connhex = await app.request(
      '/connhex/customers',
      jsonInit('POST', { name: 'After restart' }, { authorization: `Bearer ${created.credentials.connhex!.token!}` }),
    );
    expect(connhex.status).toBe(200);
    const bigcapital = await app.request('/api/customers/1', {
      headers: { authorization: `Bearer ${created.credentials.bigcapital!.jwt!}`, 'organization-id': created.tenant.id },
    });
    expect(bigcapital.status).toBe(200);
  });
});
