import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { newSigningSecret } from '../src/auth/jwt.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant, mintToken, createApp } from './support/registered.ts';
import type { Store } from '../src/store/index.ts';
import { replaceSigningKey } from '../src/store/signing-keys.ts';
import { testEnv } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { testDatabaseEnv, testStore } from './support/store.ts';

// JWT signing keys replaced (issue #26, item 8): the key cache honours CUSTGATE_KEY_CACHE_TTL_MS
// (it was fixed at 60 s: after a replacement old tokens kept working and new ones failed for a
// minute), and `custgate tenant rotate-signing-key` gives an overlap in which old and new tokens
// both verify, then retires the old key.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Connhex read with a bearer JWT: 404 (no such customer) once the token verifies, 401 when it does not. */
const read = async (app: ReturnType<typeof createApp>, token: string) =>
  (await app.request('/connhex/customers/cus_missing000000', { headers: { authorization: `Bearer ${token}` } })).status;

async function tokenFor(store: Store, env: Record<string, string>, tenant: { id: string; name: string }): Promise<string> {
  return mintToken(store, loadConfig(env), tenant, dialects.connhex, { livemode: false });
}

/** A gateway over `store` (a fresh one by default) with one tenant, and a token minted with its current key. */
async function withTenant(env: Record<string, string>, given?: Store) {
  const store = given ?? (await testStore());
  const app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
  const { tenant } = await createTenant(store, loadConfig(env), 'acme');
  return { store, app, tenant, token: await tokenFor(store, env, tenant) };
}

describe('JWT signing-key cache', () => {
  it('honours CUSTGATE_KEY_CACHE_TTL_MS: a replaced key stops verifying, and its successor starts, within it', async () => {
    const env = { ...testEnv, CUSTGATE_KEY_CACHE_TTL_MS: '300' };
    const { store, app, tenant, token: before } = await withTenant(env);
    expect(await read(app, before)).toBe(404);

    await replaceSigningKey(store, tenant.id, newSigningSecret(), new Date(0), new Date());
    const after = await tokenFor(store, env, tenant);
    await sleep(400);
    expect(await read(app, after)).toBe(404);
    expect(await read(app, before)).toBe(401);
  });
});

describe('custgate tenant rotate-signing-key', () => {
  it('old and new tokens both verify during the overlap; --overlap 0 retires the old key at once', async () => {
    const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_KEY_CACHE_TTL_MS: '0' };
    const store = await openStore(env);
    try {
      const { app, tenant, token: first } = await withTenant(env, store);
      const rotate = async (overlap: string) =>
        JSON.parse(await runCli(['tenant', 'rotate-signing-key', 'acme', '--overlap', overlap, '--json'], env)) as {
          tenant: { id: string };
          old_key_retires_at: string | null;
        };
      const out = await rotate('1h');
      expect(out.tenant.id).toBe(tenant.id);
      expect(Date.parse(out.old_key_retires_at ?? '')).toBeGreaterThan(Date.now() + 3_000_000);
      const second = await tokenFor(store, env, tenant);
      expect(second).not.toBe(first);
      expect(await read(app, first)).toBe(404);
      expect(await read(app, second)).toBe(404);

      expect((await rotate('0')).old_key_retires_at).toBeNull();
      const third = await tokenFor(store, env, tenant);
      expect(await read(app, first)).toBe(401);
      expect(await read(app, second)).toBe(401);
      expect(await read(app, third)).toBe(404);
    } finally {
      await store.executor.close();
    }
  }, 90_000);

  it('a token signed with the replaced key verifies for the overlap only (no CLI start-up in the way)', async () => {
    const env = { ...testEnv, CUSTGATE_KEY_CACHE_TTL_MS: '0' };
    const { store, app, tenant, token: old } = await withTenant(env);
    const now = new Date();
    await replaceSigningKey(store, tenant.id, newSigningSecret(), new Date(now.getTime() + 600), now);
    const fresh = await tokenFor(store, env, tenant);
    expect(await read(app, old)).toBe(404);
    expect(await read(app, fresh)).toBe(404);
    await sleep(700);
    expect(await read(app, old)).toBe(401);
    expect(await read(app, fresh)).toBe(404);
  });
});
