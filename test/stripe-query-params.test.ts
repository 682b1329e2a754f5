import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

// Stripe reads a POST's query string as parameters, in one set with its body (stripe-mock follows
// the API there: https://github.com/stripe/stripe-mock/pull/100). The Stripe-like dialects do the
// same on create and update, so a parameter in the query is never answered 200 and dropped: it is
// written, or refused in Stripe's envelope like a body's (unknown, invalid, or given twice).

describe('a Stripe-like POST with parameters in the query string', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await testGateway();
  });
  afterAll(async () => {
    await gw?.store.executor.close();
  });

  for (const [name, prefix] of [
    ['wooshpay', '/v1/customers'],
    ['connhex', '/connhex/customers'],
  ] as const) {
    const auth = () => fixturesOf(dialects[name]).auth(gw.tenant.credentials[name]!);
    const post = (path: string, form: string) =>
      gw.request(path, { method: 'POST', headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' }, body: form });

    it(`${name}: query parameters are written as body ones are, on create and update`, async () => {
      const created = await post(`${prefix}?email=${encodeURIComponent('q@example.com')}`, 'name=Query+Co');
      expect(created.status).toBe(200);
      const id = ((await created.json()) as { id: string }).id;
      const updated = await post(
        `${prefix}/${id}?name=${encodeURIComponent('Query Co Ltd')}&address[city]=Oslo`,
        'address[line1]=1+Main+St',
      );
      expect(updated.status).toBe(200);
      const canonical = await gw.request(`/gateway/v1/customers/${id}`, {
        headers: { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` },
      });
      expect(await canonical.json()).toMatchObject({
        name: 'Query Co Ltd',
        email: 'q@example.com',
        address: { line1: '1 Main St', city: 'Oslo' },
      });
    });

    it(`${name}: an unknown, invalid or doubly given query parameter is a 400 in Stripe's envelope, and nothing changes`, async () => {
      const created = await post(prefix, 'name=Kept');
      const id = ((await created.json()) as { id: string }).id;
      for (const [query, body, param] of [
        ['?nmae=Typo', 'email=a%40example.com', 'nmae'],
        ['?email=not-an-email', '', 'email'],
        ['?name=One', 'name=Two', 'name'],
      ] as const) {
        const res = await post(`${prefix}/${id}${query}`, body);
        expect(res.status, query).toBe(400);
        expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
      }
      const canonical = await gw.request(`/gateway/v1/customers/${id}`, {
        headers: { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` },
      });
      expect(await canonical.json()).toMatchObject({ name: 'Kept', email: null, version: 1 });
    });
  }

  // The Stripe resources beside the customers read them the same way (Stripe SDKs may put a
  // webhook endpoint's parameters in the query too).
  it('wooshpay: a webhook endpoint create and update read query parameters; one given twice is a 400', async () => {
    const headers = {
      ...fixturesOf(dialects.wooshpay).auth(gw.tenant.credentials.wooshpay!),
      'content-type': 'application/x-www-form-urlencoded',
    };
    const post = (path: string, form: string) => gw.request(path, { method: 'POST', headers, body: form });
    const created = await post(
      `/v1/webhook_endpoints?description=${encodeURIComponent('From the query')}`,
      `url=${encodeURIComponent('https://hooks.example/in')}&enabled_events[0]=customer.updated`,
    );
    expect(created.status, await created.clone().text()).toBe(200);
    const endpoint = (await created.json()) as { id: string; description: string | null };
    expect(endpoint.description).toBe('From the query');

    const updated = await post(`/v1/webhook_endpoints/${endpoint.id}?metadata[team]=billing`, 'description=Updated');
    expect(updated.status, await updated.clone().text()).toBe(200);
    expect(await updated.json()).toMatchObject({ description: 'Updated', metadata: { team: 'billing' } });

    const twice = await post(`/v1/webhook_endpoints/${endpoint.id}?description=One`, 'description=Two');
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'description' } });
    const read = await gw.request(`/v1/webhook_endpoints/${endpoint.id}`, { headers });
    expect(await read.json()).toMatchObject({ description: 'Updated' });
  });
});
