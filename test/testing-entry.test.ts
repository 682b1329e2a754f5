import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../src/entries/testing.ts';
import { testBackend } from './support/store.ts';

// `custgate/testing` as a test suite uses it (the installed package's own run is in
// test/package.test.ts). It always runs on in-memory SQLite: once, in the sqlite project.

describe.skipIf(testBackend() !== 'sqlite')('startGateway', () => {
  it("serves the given tenants' known credentials on a free port, resets, and stops", async () => {
    const organisation = '0b7e5b8e-58e3-4c52-a4bb-8f5f1f0a3c11';
    const gateway = await startGateway({
      tenants: { shop: { keys: { wooshpay: 'sk_test_ShopSuite', zenskar: 'shop-zenskar-key' }, organisation }, other: {} },
    });
    try {
      expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(gateway.tenants.shop?.tenant.id).toBe(organisation);
      expect(gateway.tenants.other?.credentials.wooshpay?.secret_key).toMatch(/^sk_test_/);

      const stripe = new Stripe('sk_test_ShopSuite', { host: '127.0.0.1', port: gateway.port, protocol: 'http', maxNetworkRetries: 0 });
      const created = await stripe.customers.create({ name: 'Suite customer' });
      const zenskar = (ref: string) =>
        fetch(`${gateway.url}/zenskar/customers/${ref}`, { headers: { 'x-api-key': 'shop-zenskar-key', organisation } });
      const canonical = await fetch(`${gateway.url}/gateway/v1/customers/${created.id}`, {
        headers: { authorization: 'Bearer sk_test_ShopSuite' },
      });
      const { ids } = (await canonical.json()) as { ids: { uuid: string } };
      const seen = (await (await zenskar(ids.uuid)).json()) as { customer_name: string; id: string };
      expect(seen.customer_name).toBe('Suite customer');

      await gateway.reset('shop');
      expect((await zenskar(seen.id)).status).toBe(404);
    } finally {
      await gateway.stop();
    }
    await expect(fetch(`${gateway.url}/gateway/v1/health`)).rejects.toThrow();
  });

  it('refuses a tenant whose given key has the wrong shape, and starts nothing', async () => {
    await expect(startGateway({ tenants: { bad: { keys: { wooshpay: 'not-a-key' } } } })).rejects.toThrow('does not have the shape');
  });
});
