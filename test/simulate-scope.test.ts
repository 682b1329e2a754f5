import { describe, expect, it } from 'vitest';
import { startGateway } from '../src/entries/testing.ts';
import { testBackend } from './support/store.ts';

// Which request a simulated failure belongs to (docs/dev-server.md, "Failures on purpose"): the
// attempts of an Idempotency-Key are counted for the tenant that sent them, from its first
// authenticated attempt, and a reset starts them again, as it forgets the keys themselves. Through
// a real server on a free port (custgate/testing), as a suite that shares one gateway uses it.

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** The tenant's Wooshpay secret key. */
const keyOf = (gateway: Gateway, tenant: string): string => {
  const key = gateway.tenants[tenant]?.credentials.wooshpay?.secret_key;
  if (!key) throw new Error(`no Wooshpay key for ${tenant}`);
  return key;
};

describe.skipIf(testBackend() !== 'sqlite')('Custgate-Simulate with an Idempotency-Key', () => {
  const post = (url: string, key: string, idempotencyKey: string, simulate = 'status=503') =>
    fetch(`${url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'custgate-simulate': simulate, 'idempotency-key': idempotencyKey },
      body: new URLSearchParams({ name: 'Jenny Rosen' }),
    });

  it("fails each tenant's first attempt, whatever another tenant or a refused credential sent with the same key", async () => {
    const gateway = await startGateway({ tenants: { shop: {}, billing: {} } });
    try {
      const shop = keyOf(gateway, 'shop');
      const billing = keyOf(gateway, 'billing');
      // A credential no tenant has is refused as the provider refuses it, and counts for no one.
      const stranger = await post(gateway.url, 'sk_test_NoSuchKeyAnywhere0000000000', 'order-42');
      expect(stranger.status).toBe(401);
      expect((await post(gateway.url, shop, 'order-42')).status).toBe(503);
      expect((await post(gateway.url, shop, 'order-42')).status).toBe(200);
      // Another suite's tenant, on the same gateway, with the same key: its own first attempt fails.
      expect((await post(gateway.url, billing, 'order-42')).status).toBe(503);
      expect((await post(gateway.url, billing, 'order-42')).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });

  it('after a reset the first attempt fails again, through gateway.reset() and POST /gateway/v1/reset', async () => {
    const gateway = await startGateway({ tenants: { shop: {} } });
    try {
      const shop = keyOf(gateway, 'shop');
      const resets = [
        () => gateway.reset('shop'),
        async () => {
          const res = await fetch(`${gateway.url}/gateway/v1/reset`, { method: 'POST', headers: { authorization: `Bearer ${shop}` } });
          expect(res.status).toBe(200);
        },
      ];
      for (const reset of [undefined, ...resets]) {
        await reset?.();
        expect((await post(gateway.url, shop, 'order-42', 'status=503; times=2')).status).toBe(503);
        expect((await post(gateway.url, shop, 'order-42', 'status=503; times=2')).status).toBe(503);
        const through = await post(gateway.url, shop, 'order-42', 'status=503; times=2');
        expect(through.status).toBe(200);
        expect(through.headers.get('idempotent-replayed')).toBeNull();
      }
    } finally {
      await gateway.stop();
    }
  });

  it("a rule's count (--times) starts again after a reset; the rule itself stays", async () => {
    const gateway = await startGateway({ tenants: { shop: {} } });
    try {
      const auth = { authorization: `Bearer ${keyOf(gateway, 'shop')}` };
      const rule = await fetch(`${gateway.url}/gateway/v1/simulate`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ status: '503', path: '/v1/customers', times: 1 }),
      });
      expect(rule.status).toBeLessThan(300);
      const create = () =>
        fetch(`${gateway.url}/v1/customers`, { method: 'POST', headers: auth, body: new URLSearchParams({ name: 'R' }) });
      for (let round = 0; round < 2; round++) {
        expect((await create()).status).toBe(503);
        expect((await create()).status).toBe(200);
        await gateway.reset('shop');
      }
      const rules = (await (await fetch(`${gateway.url}/gateway/v1/simulate`, { headers: auth })).json()) as { data: unknown[] };
      expect(rules.data).toHaveLength(1);
    } finally {
      await gateway.stop();
    }
  });
});

describe.skipIf(testBackend() !== 'sqlite')('custgate/testing and refused credentials', () => {
  it("a suite's refused credentials do not lock every tenant out: the per-address limit is off unless the env sets it", async () => {
    const gateway = await startGateway({ tenants: { shop: {}, billing: {} } });
    try {
      // Every client of a test gateway is 127.0.0.1: a property test of a service's 401 handling
      // (fast-check's default 100 runs) once locked out the whole suite, every tenant, for a minute.
      for (let i = 0; i < 105; i++) {
        const res = await fetch(`${gateway.url}/v1/customers`, {
          headers: { authorization: 'Bearer sk_test_NoSuchKeyAnywhere0000000000' },
        });
        expect(res.status).toBe(401);
      }
      const theirs = await fetch(`${gateway.url}/v1/customers`, { headers: { authorization: `Bearer ${keyOf(gateway, 'billing')}` } });
      expect(theirs.status).toBe(200);
    } finally {
      await gateway.stop();
    }
    const guarded = await startGateway({ env: { CUSTGATE_AUTH_FAILURE_LIMIT: '2' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${guarded.url}/v1/customers`, {
          headers: { authorization: 'Bearer sk_test_NoSuchKeyAnywhere0000000000' },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await guarded.stop();
    }
  });
});
