import { beforeAll, describe, expect, it } from 'vitest';
import { probeAuth, type TestGateway, testGateway } from './support/gateway.ts';

let gw: TestGateway;
let auth: Record<string, string>;
let publicId: string;

beforeAll(async () => {
  gw = await testGateway();
  auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
  const res = await gw.request('/v1/customers', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=Canon&email=c@example.com',
  });
  publicId = ((await res.json()) as { id: string }).id;
});

describe('gateway API: happy', () => {
  it('answers health without auth (up or down only); the detail needs the probe token', async () => {
    const res = await gw.request('/gateway/v1/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    const detailed = await gw.request('/gateway/v1/health', { headers: probeAuth });
    expect(await detailed.json()).toMatchObject({ status: 'ok', dialects: expect.arrayContaining(['wooshpay']) });
  });

  it('resolves a customer by any of its identifiers to the same canonical view', async () => {
    const byPublic = await gw.canonical(publicId);
    expect(byPublic).toMatchObject({ name: 'Canon', email: 'c@example.com', version: 1 });
    const ids = byPublic.ids as { uuid: string; number: number };
    expect(await gw.canonical(ids.uuid)).toEqual(byPublic);
    expect(await gw.canonical(String(ids.number))).toEqual(byPublic);
  });

  it('lists the change history with who, how and before/after', async () => {
    await gw.request(`/v1/customers/${publicId}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Renamed',
    });
    const res = await gw.request(`/gateway/v1/customers/${publicId}/events`, { headers: auth });
    const { data } = (await res.json()) as { data: { version: number; dialect: string; action: string; changes: unknown[] }[] };
    expect(data.map((e) => [e.version, e.action, e.dialect])).toEqual([
      [1, 'create', 'wooshpay'],
      [2, 'update', 'wooshpay'],
    ]);
    expect(data[1]!.changes).toEqual([{ field: 'name', before: 'Canon', after: 'Renamed' }]);
  });
});

describe('gateway API: errors and security', () => {
  it('refuses requests without a credential', async () => {
    const res = await gw.request(`/gateway/v1/customers/${publicId}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it("does not show another tenant's customer", async () => {
    const res = await gw.request(`/gateway/v1/customers/${publicId}`, {
      headers: { authorization: `Bearer ${gw.other.credentials.wooshpay!.secret_key}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers unknown routes in its own envelope', async () => {
    const res = await gw.request('/gateway/v1/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await gw.request('/nowhere')).status).toBe(404);
  });
});
