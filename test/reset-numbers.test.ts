import { afterEach, describe, expect, it } from 'vitest';
import { resetTenant } from '../src/store/tenant-reset.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// Bigcapital's customer ids are the tenant's numbers. A reset empties the tenant so that a test
// suite starts again as on a fresh server: its first customer is id 1 again. The server
// remembered the last number it handed out past the reset, and went on from there (25 after 24).

let g: TestGateway | undefined;
afterEach(async () => {
  await g?.store.executor.close();
  g = undefined;
});

async function createBigcapital(gw: TestGateway, displayName: string): Promise<number> {
  const headers = { authorization: `Bearer ${gw.tenant.credentials.bigcapital?.api_key}` };
  const res = await gw.request('/api/customers', jsonInit('POST', { customerType: 'business', displayName }, headers));
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

const wooshpay = (gw: TestGateway) => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` });

describe("a reset starts the tenant's Bigcapital ids again from 1", () => {
  it('through POST /gateway/v1/reset on the server that made the customers', async () => {
    g = await testGateway();
    expect([await createBigcapital(g, 'A'), await createBigcapital(g, 'B'), await createBigcapital(g, 'C')]).toEqual([1, 2, 3]);
    expect((await g.request('/gateway/v1/reset', { method: 'POST', headers: wooshpay(g) })).status).toBe(200);
    expect(await createBigcapital(g, 'After')).toBe(1);
    expect(await createBigcapital(g, 'After too')).toBe(2);
  });

  it('through the store alone, as `custgate reset` from another shell runs it beside the server', async () => {
    g = await testGateway();
    await createBigcapital(g, 'A');
    await createBigcapital(g, 'B');
    await resetTenant(g.store, g.tenant.tenant.id);
    expect(await createBigcapital(g, 'After')).toBe(1);
  });

  it('while concurrent creates in one tenant still each get a number of their own', async () => {
    g = await testGateway();
    await createBigcapital(g, 'Before');
    expect((await g.request('/gateway/v1/reset', { method: 'POST', headers: wooshpay(g) })).status).toBe(200);
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => createBigcapital(g as TestGateway, `Parallel ${i}`)));
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});
