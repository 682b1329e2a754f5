import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { JwtService, newSigningSecret, signingKeyRecheckMs } from '../src/auth/jwt.ts';
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

// Rotated by another process (the CLI, or a second server) while this one holds the old key in its
// cache (CUSTGATE_KEY_CACHE_TTL_MS, 30 s by default): a token of the new key was a 401 here until
// the cache's entry ended. Now a signature the cached key refuses has the key read again, at most
// once a second per tenant, so a flood of forged tokens is not a flood of reads.
describe('a signing key rotated by another process', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Gateways A and B over their own stores on one database (as two processes have), the default key cache. */
  async function twoGateways() {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const storeA = await openStore(env);
    const storeB = await openStore(env);
    const a = await withTenant(env, storeA);
    const appB = createApp({ store: storeB, config: loadConfig(env), logger: { error: () => undefined } });
    const close = async () => {
      await storeA.executor.close();
      await storeB.executor.close();
    };
    return { env, storeA, storeB, appA: a.app, appB, tenant: a.tenant, old: a.token, close };
  }
  type Two = Awaited<ReturnType<typeof twoGateways>>;

  /** A caches the key (and the token it verified); B replaces it, the old one kept for `overlapMs`; a token of the new key. */
  async function rotatedByB(g: Two, overlapMs: number): Promise<string> {
    expect(await read(g.appA, g.old)).toBe(404);
    const now = new Date();
    await replaceSigningKey(g.storeB, g.tenant.id, newSigningSecret(), new Date(now.getTime() + overlapMs), now);
    return tokenFor(g.storeB, g.env, g.tenant);
  }

  const withTwo = async (test: (g: Two) => Promise<void>) => {
    const g = await twoGateways();
    try {
      await test(g);
    } finally {
      await g.close();
    }
  };

  it('verifies a token of the new key at once where the old key is cached; a token of the old key then fails', () =>
    withTwo(async (g) => {
      const fresh = await rotatedByB(g, 0);
      expect(await read(g.appB, fresh)).toBe(404);
      expect(await read(g.appA, fresh)).toBe(404);
      // No overlap: the old key's token, verified by A before, is refused now.
      expect(await read(g.appA, g.old)).toBe(401);
      expect(await read(g.appB, g.old)).toBe(401);
    }));

  it('with an overlap, tokens of both keys verify where the old key was cached', () =>
    withTwo(async (g) => {
      const fresh = await rotatedByB(g, 3600_000);
      expect(await read(g.appA, fresh)).toBe(404);
      expect(await read(g.appA, g.old)).toBe(404);
    }));

  it('forged tokens have the key read again once per tenant per second, not once each', () =>
    withTwo(async (g) => {
      expect(await read(g.appA, g.old)).toBe(404);
      const reads = vi.spyOn(g.storeA, 'findSigningKey');
      const forger = new JwtService(loadConfig(g.env).jwt, g.storeB);
      const forged = () => forger.sign('connhex', g.tenant.id, randomBytes(32), {}, { subject: 'forged', ttlSeconds: 600 });
      // The clock stands still (Date only), past the last read: every forged token below comes at once.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * signingKeyRecheckMs });
      for (let i = 0; i < 10; i++) expect(await read(g.appA, await forged())).toBe(401);
      expect(reads).toHaveBeenCalledTimes(1);
      vi.setSystemTime(Date.now() + signingKeyRecheckMs);
      expect(await read(g.appA, await forged())).toBe(401);
      expect(reads).toHaveBeenCalledTimes(2);
    }));
});
