import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { addEndpoint, type Setup, setup } from './support/webhook-setup.ts';

// Stripe's webhook endpoint resource of a dialect reaches by id what its list shows: the key's
// endpoints of its mode, in Stripe's format, made for that dialect. Before, `GET
// /v1/webhook_endpoints/{id}` answered any endpoint of the tenant (a Standard Webhooks one made
// through the gateway's API, a Connhex one), rendered as a Stripe endpoint, and update and delete
// changed and removed it, while the list did not show it.

const form = (body: string, headers: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

const answer = async (res: Response) => ({ status: res.status, body: await res.json() });

const notFound = (id: string) => ({
  status: 404,
  body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such webhook endpoint: '${id}'`, param: 'id' } },
});

/** The endpoint as the gateway's own API reads it (every format and dialect of the key's mode). */
const stored = async (s: Setup, id: string) => answer(await s.request(`/gateway/v1/webhook_endpoints/${id}`, { headers: s.auth() }));

describe("a Stripe-like dialect's webhook endpoint by id is one its list shows", () => {
  it("another format's or another dialect's endpoint is not found to retrieve, update or delete, and stays", async () => {
    const s = await setup();
    const connhex = fixturesOf(dialects.connhex).auth(s.tenant.credentials.connhex!);
    const standard = await addEndpoint(s, { url: 'https://example.com/standard', format: 'standard', dialect: 'meteroid' });
    const viaConnhex = await answer(await s.request('/connhex/webhook_endpoints', form('url=https://example.com/connhex', connhex)));
    expect(viaConnhex.status).toBe(200);
    const connhexId = (viaConnhex.body as { id: string }).id;
    const wooshpay = await answer(await s.request('/v1/webhook_endpoints', form('url=https://example.com/wooshpay', s.auth())));
    const wooshpayId = (wooshpay.body as { id: string }).id;

    const listed = await answer(await s.request('/v1/webhook_endpoints', { headers: s.auth() }));
    expect((listed.body as { data: { id: string }[] }).data.map((e) => e.id)).toEqual([wooshpayId]);

    for (const id of [standard.id, connhexId]) {
      const before = await stored(s, id);
      expect(before.status).toBe(200);
      const path = `/v1/webhook_endpoints/${id}`;
      expect(await answer(await s.request(path, { headers: s.auth() }))).toEqual(notFound(id));
      expect(await answer(await s.request(path, form('url=https://attacker.example/x&disabled=true', s.auth())))).toEqual(notFound(id));
      expect(await answer(await s.request(path, { method: 'DELETE', headers: s.auth() }))).toEqual(notFound(id));
      expect(await stored(s, id)).toEqual(before);
    }

    // Each dialect's own is reached by its own resource, and Connhex does not reach Wooshpay's.
    expect((await answer(await s.request(`/connhex/webhook_endpoints/${connhexId}`, { headers: connhex }))).status).toBe(200);
    expect((await answer(await s.request(`/connhex/webhook_endpoints/${wooshpayId}`, { headers: connhex }))).status).toBe(404);
    expect(await answer(await s.request(`/v1/webhook_endpoints/${wooshpayId}`, { headers: s.auth() }))).toMatchObject({
      status: 200,
      body: { id: wooshpayId, object: 'webhook_endpoint', url: 'https://example.com/wooshpay' },
    });
    // A Stripe-format endpoint for Wooshpay made through the gateway's API is in its list, and so by id.
    const made = await addEndpoint(s, { url: 'https://example.com/made', format: 'stripe', dialect: 'wooshpay' });
    expect((await answer(await s.request(`/v1/webhook_endpoints/${made.id}`, { headers: s.auth() }))).status).toBe(200);
    expect((await answer(await s.request(`/v1/webhook_endpoints/${made.id}`, { method: 'DELETE', headers: s.auth() }))).body).toEqual({
      id: made.id,
      object: 'webhook_endpoint',
      deleted: true,
    });
  });
});
