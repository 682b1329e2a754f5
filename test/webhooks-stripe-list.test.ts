import { afterAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { testEnv } from './support/gateway.ts';
import { reissueCredentials } from './support/registered.ts';
import { type Setup, setup } from './support/webhook-setup.ts';
import { startWebhookSdkServer, type WebhookSdkServer } from './support/webhook-sdk.ts';

// Stripe's webhook endpoint list (https://docs.stripe.com/api/webhook_endpoints/list) pages as
// every Stripe list does (https://docs.stripe.com/api/pagination): newest first, `limit` 1-100
// (10 by default), `starting_after` / `ending_before` cursors, `has_more`. Before, it answered
// every endpoint oldest first with has_more false, whatever was asked; the SDK's auto-pagination,
// which sends `starting_after` until has_more is false, was right only by that accident.

type List = { object: string; data: { id: string }[]; has_more: boolean; url: string };

/** A clock a second on at each read, so each endpoint's `created` is its own. */
const ticking = () => {
  let t = Date.parse('2026-01-01T00:00:00Z');
  return () => {
    t += 1000;
    return new Date(t);
  };
};

const form = (body: string, auth: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

/** `n` endpoints made through Stripe's resource, oldest first. */
async function made(s: Setup, n: number, base = '/v1', auth = s.auth()): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await s.request(`${base}/webhook_endpoints`, form(`url=${encodeURIComponent(`https://example.com/hooks/${i}`)}`, auth));
    expect(res.status).toBe(200);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

const list = async (s: Setup, query: string, base = '/v1', auth = s.auth()) => {
  const res = await s.request(`${base}/webhook_endpoints${query}`, { headers: auth });
  return { status: res.status, body: (await res.json()) as List & { error?: Record<string, unknown> } };
};

const ids = (body: List) => body.data.map((e) => e.id);

describe("Stripe's webhook endpoint list pages", () => {
  it('lists newest first, `limit` at a time, with has_more while older ones remain', async () => {
    const s = await setup({}, { now: ticking() });
    const [a, b, c, d, e] = await made(s, 5);
    const all = await list(s, '');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ object: 'list', has_more: false, url: '/v1/webhook_endpoints' });
    expect(ids(all.body)).toEqual([e, d, c, b, a]);

    const first = await list(s, '?limit=2');
    expect([ids(first.body), first.body.has_more]).toEqual([[e, d], true]);
    const second = await list(s, `?limit=2&starting_after=${d}`);
    expect([ids(second.body), second.body.has_more]).toEqual([[c, b], true]);
    const last = await list(s, `?limit=2&starting_after=${b}`);
    expect([ids(last.body), last.body.has_more]).toEqual([[a], false]);
    expect(ids((await list(s, `?starting_after=${a}`)).body)).toEqual([]);
  });

  it('`ending_before` is the page just above its endpoint, newest first, has_more while newer ones remain', async () => {
    const s = await setup({}, { now: ticking() });
    const [a, b, c, d, e] = await made(s, 5);
    const above = await list(s, `?limit=2&ending_before=${a}`);
    expect([ids(above.body), above.body.has_more]).toEqual([[c, b], true]);
    const top = await list(s, `?limit=2&ending_before=${c}`);
    expect([ids(top.body), top.body.has_more]).toEqual([[e, d], false]);
    expect((await list(s, `?ending_before=${e}`)).body).toMatchObject({ data: [], has_more: false });
  });

  it('a bad limit or cursor is the 400 the customers list gives', async () => {
    const s = await setup({}, { now: ticking() });
    const [a, b] = await made(s, 2);
    for (const query of ['?limit=0', '?limit=101', '?limit=x', '?limit=', '?starting_after=', `?starting_after=${a}&ending_before=${b}`]) {
      const customers = await s.request(`/v1/customers${query}`, { headers: s.auth() });
      const endpoints = await list(s, query);
      expect([query, endpoints.status, endpoints.body]).toEqual([query, 400, await customers.json()]);
    }
    expect(await list(s, '?starting_after=we_nope')).toEqual({
      status: 400,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: "No such webhook endpoint: 'we_nope'",
          param: 'starting_after',
        },
      },
    });
    expect((await list(s, '?ending_before=we_nope')).body.error).toMatchObject({ param: 'ending_before' });
    // `expand` is still taken, and a name the list does not take still refused.
    expect(ids((await list(s, '?limit=1&expand[]=data')).body)).toEqual([b]);
    expect((await list(s, '?limt=1')).body.error).toMatchObject({ code: 'parameter_unknown', param: 'limt' });
  });

  it("another tenant's endpoint, or another dialect's, is no cursor", async () => {
    const s = await setup({}, { now: ticking() });
    await made(s, 2);
    const [theirs] = await made(s, 1, '/v1', s.auth(s.other));
    const res = await list(s, `?starting_after=${theirs}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ message: `No such webhook endpoint: '${theirs}'`, param: 'starting_after' });
    expect((await list(s, `?ending_before=${theirs}`)).status).toBe(400);
    // A live key's endpoint is no cursor for a test key either (scoped as the list is: docs/webhooks.md).
    const live = await reissueCredentials(s.store, loadConfig(testEnv), s.tenant.tenant, dialects.wooshpay, { livemode: true });
    const [liveOne] = await made(s, 1, '/v1', { authorization: `Bearer ${live.secret_key}` });
    expect((await list(s, `?starting_after=${liveOne}`)).body.error).toMatchObject({ param: 'starting_after' });

    // Connhex lists its own endpoints, paged alike, in its envelope; Wooshpay's are none of its.
    const connhex = fixturesOf(dialects.connhex).auth(s.tenant.credentials.connhex!);
    const [x, y] = await made(s, 2, '/connhex', connhex);
    const page = await list(s, '?limit=1', '/connhex', connhex);
    expect([ids(page.body), page.body.has_more, page.body.url]).toEqual([[y], true, '/connhex/webhook_endpoints']);
    expect(ids((await list(s, `?starting_after=${y}`, '/connhex', connhex)).body)).toEqual([x]);
    expect((await list(s, `?starting_after=${y}`)).status).toBe(400);
  });
});

describe("the Stripe SDK's auto-pagination over webhook endpoints", () => {
  let server: WebhookSdkServer | undefined;
  afterAll(async () => server?.close());

  it('returns every endpoint exactly once, newest first, two a page', async () => {
    server = await startWebhookSdkServer({}, { now: ticking() });
    const stripe = server.client();
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push((await stripe.webhookEndpoints.create({ url: `https://example.com/hooks/${i}`, enabled_events: ['*'] })).id);
    const walked = await stripe.webhookEndpoints.list({ limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(walked.map((e) => e.id)).toEqual(made.reverse());
    const first = await stripe.webhookEndpoints.list({ limit: 2 });
    expect([first.data.length, first.has_more]).toEqual([2, true]);
  });
});
