import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { testEnv } from './support/gateway.ts';
import { reissueCredentials } from './support/registered.ts';
import { createCustomer, setup } from './support/webhook-setup.ts';

// A Stripe list's cursor that names nothing: Stripe answers `resource_missing` naming the cursor
// parameter (`{"type":"invalid_request_error","code":"resource_missing","message":"No such
// customer: 'cus_nope'","param":"starting_after"}`, https://docs.stripe.com/error-codes#resource-missing),
// what an SDK's auto-pagination meets when the last item it saw was deleted. Before, custgate
// answered `parameter_invalid` with that message, on the customers list of both Stripe-like
// dialects, on the webhook endpoint list (one parser, src/http/list-query.ts), and on the event
// list with no `param` at all.

const missing = (resource: string, ref: string, param: string) => ({
  status: 400,
  body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${resource}: '${ref}'`, param } },
});

const answer = async (res: Response) => ({ status: res.status, body: await res.json() });

describe("a Stripe list's unknown cursor is resource_missing", () => {
  it('customers (Wooshpay, Connhex), webhook endpoints and events, either cursor', async () => {
    const s = await setup();
    await createCustomer(s);
    const connhex = fixturesOf(dialects.connhex).auth(s.tenant.credentials.connhex!);
    const lists = [
      { path: '/v1/customers', headers: s.auth(), resource: 'customer', ref: 'cus_nope' },
      { path: '/wooshpay/v1/customers', headers: s.auth(), resource: 'customer', ref: 'cus_nope' },
      { path: '/connhex/customers', headers: connhex, resource: 'customer', ref: 'cus_nope' },
      { path: '/v1/webhook_endpoints', headers: s.auth(), resource: 'webhook endpoint', ref: 'we_nope' },
      { path: '/connhex/webhook_endpoints', headers: connhex, resource: 'webhook endpoint', ref: 'we_nope' },
      { path: '/v1/events', headers: s.auth(), resource: 'event', ref: 'evt_nope' },
    ];
    for (const { path, headers, resource, ref } of lists) {
      for (const param of ['starting_after', 'ending_before']) {
        const got = await answer(await s.request(`${path}?${param}=${ref}`, { headers }));
        expect([path, got]).toEqual([path, missing(resource, ref, param)]);
      }
    }
  });

  it("another tenant's customer is no cursor either, answered alike", async () => {
    const s = await setup();
    const theirs = await s.request('/v1/customers', {
      method: 'POST',
      headers: { ...s.auth(s.other), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Theirs',
    });
    const { id } = (await theirs.json()) as { id: string };
    const got = await answer(await s.request(`/v1/customers?starting_after=${id}`, { headers: s.auth() }));
    expect(got).toEqual(missing('customer', id, 'starting_after'));
  });

  it("another mode's event is no cursor: a test key cannot tell a live event exists", async () => {
    // Before: GET /v1/events?starting_after=<a live event> with a test key answered 200 (a page
    // of the test events older than it), where a made-up id answers 400 and its retrieve 404.
    const s = await setup();
    await createCustomer(s);
    const live = await reissueCredentials(s.store, loadConfig(testEnv), s.tenant.tenant, dialects.wooshpay, { livemode: true });
    const liveAuth = { authorization: `Bearer ${live.secret_key}` };
    const made = await s.request('/v1/customers', {
      method: 'POST',
      headers: { ...liveAuth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Live',
    });
    expect(made.status).toBe(200);
    const events = (await (await s.request('/v1/events', { headers: liveAuth })).json()) as { data: { id: string; livemode: boolean }[] };
    const id = events.data[0]!.id;
    expect(events.data[0]!.livemode).toBe(true);
    for (const param of ['starting_after', 'ending_before']) {
      const got = await answer(await s.request(`/v1/events?${param}=${id}`, { headers: s.auth() }));
      expect([param, got]).toEqual([param, missing('event', id, param)]);
    }
    // The live key itself still pages from it.
    expect((await s.request(`/v1/events?starting_after=${id}`, { headers: liveAuth })).status).toBe(200);
  });
});
