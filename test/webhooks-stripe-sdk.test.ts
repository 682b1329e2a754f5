import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Webhooks } from '../src/webhooks/index.ts';
import { drainUntil } from './support/drain-until.ts';
import { startWebhookSdkServer } from './support/webhook-sdk.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// The official Stripe SDK, unchanged, against a gateway on a real port: it creates a webhook
// endpoint, receives the events it asked for, lists and retrieves them.

let close: () => Promise<void>;
let stripe: Stripe;
let webhooks: Webhooks;
let receiver: Receiver;

beforeAll(async () => {
  const server = await startWebhookSdkServer();
  webhooks = server.webhooks;
  receiver = await startReceiver();
  close = async () => {
    await receiver.close();
    await server.close();
  };
  stripe = server.client();
});

afterAll(async () => close?.());

describe('the Stripe SDK: webhook endpoints and events', () => {
  it('creates an endpoint, gets the events it enabled, lists and retrieves them, deletes it', async () => {
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.updated'] });
    expect(endpoint).toMatchObject({
      object: 'webhook_endpoint',
      url: receiver.url,
      enabled_events: ['customer.updated'],
      status: 'enabled',
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const listed = await stripe.webhookEndpoints.list();
    expect(listed.data.map((e) => e.id)).toEqual([endpoint.id]);
    expect(listed.data[0]?.secret).toBeUndefined();

    const customer = await stripe.customers.create({ name: 'Jenny Rosen' });
    for (const name of ['One', 'Two', 'Three']) await stripe.customers.update(customer.id, { name });
    // Recorded with the writes, not delivered yet.
    const owed = await stripe.events.list({ delivery_success: false });
    expect(owed.data.map((e) => e.type)).toEqual(['customer.updated', 'customer.updated', 'customer.updated']);

    await drainUntil(webhooks.dispatcher, () => receiver.received.length >= 3);
    const received = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature']!, endpoint.secret!));
    expect(received.map((e) => [e.type, (e.data.object as Stripe.Customer).name])).toEqual([
      ['customer.updated', 'One'],
      ['customer.updated', 'Two'],
      ['customer.updated', 'Three'],
    ]);
    expect((await stripe.events.list({ delivery_success: false })).data).toEqual([]);

    // Newest first, cursor pagination, the type and created filters.
    const page = await stripe.events.list({ limit: 2 });
    expect(page.has_more).toBe(true);
    expect(page.data.map((e) => (e.data.object as Stripe.Customer).name)).toEqual(['Three', 'Two']);
    const rest = await stripe.events.list({ limit: 2, starting_after: page.data[1]!.id });
    expect(rest.data.map((e) => e.type)).toEqual(['customer.updated', 'customer.created']);
    expect(rest.has_more).toBe(false);
    expect((await stripe.events.list({ type: 'customer.created' })).data).toHaveLength(1);
    expect((await stripe.events.list({ created: { gte: Math.floor(Date.now() / 1000) + 3600 } })).data).toEqual([]);

    const one = await stripe.events.retrieve(received[2]!.id);
    expect(one).toMatchObject({ id: received[2]!.id, type: 'customer.updated', data: { previous_attributes: { name: 'Two' } } });
    await expect(stripe.events.retrieve('evt_00000000000000000000000000000000v1')).rejects.toMatchObject({ statusCode: 404 });

    expect(await stripe.webhookEndpoints.del(endpoint.id)).toMatchObject({ id: endpoint.id, deleted: true });
    await expect(stripe.webhookEndpoints.retrieve(endpoint.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("lists events by Stripe's created filter: an exact time, gt, gte, lt and lte; an unknown one is refused", async () => {
    const customer = await stripe.customers.create({ name: 'Filtered' });
    await stripe.customers.update(customer.id, { name: 'Filtered again' });
    const all = (await stripe.events.list({ limit: 100 })).data;
    const newest = all[0]?.created ?? 0;
    const oldest = all.at(-1)?.created ?? 0;
    const ids = (list: Stripe.ApiList<Stripe.Event>) => list.data.map((e) => e.id);
    const where = (keep: (created: number) => boolean) => all.filter((e) => keep(e.created)).map((e) => e.id);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(ids(await stripe.events.list({ limit: 100, created: { lt: newest } }))).toEqual(where((t) => t < newest));
    expect(ids(await stripe.events.list({ limit: 100, created: { lte: oldest } }))).toEqual(where((t) => t <= oldest));
    expect(ids(await stripe.events.list({ limit: 100, created: { gt: oldest } }))).toEqual(where((t) => t > oldest));
    expect(ids(await stripe.events.list({ limit: 100, created: { gte: newest, lte: newest } }))).toEqual(where((t) => t === newest));
    // A time with no event: none, not every event since.
    expect(ids(await stripe.events.list({ limit: 100, created: oldest - 3600 }))).toEqual([]);
    expect(ids(await stripe.events.list({ limit: 100, created: newest }))).toEqual(where((t) => t === newest));
    await expect(stripe.events.list({ created: { after: 1 } as Stripe.RangeQueryParam })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
    });
  });

  it("lists events of the types Stripe's `types` array names; with `type` too it is a 400", async () => {
    const customer = await stripe.customers.create({ name: 'Typed' });
    await stripe.customers.update(customer.id, { name: 'Typed again' });
    await stripe.customers.del(customer.id);
    const all = (await stripe.events.list({ limit: 100 })).data;
    const of = (...types: string[]) => all.filter((e) => types.includes(e.type)).map((e) => e.id);
    const listed = async (types: string[]) => (await stripe.events.list({ limit: 100, types })).data.map((e) => e.id);
    expect(of('customer.deleted')).toHaveLength(1);
    expect(await listed(['customer.created', 'customer.updated'])).toEqual(of('customer.created', 'customer.updated'));
    expect(await listed(['customer.deleted'])).toEqual(of('customer.deleted'));
    expect(await listed(['charge.succeeded'])).toEqual([]);
    expect(await listed(['charge.succeeded', 'customer.deleted'])).toEqual(of('customer.deleted'));
    await expect(stripe.events.list({ type: 'customer.created', types: ['customer.updated'] })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
    });
  });

  it('pages back with ending_before: the page just before the anchor, newest first, has_more while newer ones remain', async () => {
    const customer = await stripe.customers.create({ name: 'Paged 0' });
    for (const n of [1, 2, 3, 4, 5]) await stripe.customers.update(customer.id, { name: `Paged ${n}` });
    const all = (await stripe.events.list({ limit: 100 })).data.map((e) => e.id);
    expect(all.length).toBeGreaterThanOrEqual(6);
    const page = await stripe.events.list({ limit: 2, ending_before: all[4]! });
    expect([page.data.map((e) => e.id), page.has_more]).toEqual([all.slice(2, 4), true]);
    const top = await stripe.events.list({ limit: 2, ending_before: all[1]! });
    expect([top.data.map((e) => e.id), top.has_more]).toEqual([all.slice(0, 1), false]);
    // Walking back from the oldest, page by page, meets every event once, in order.
    const walked: string[] = [];
    for (let anchor = all.at(-1)!; ; ) {
      const back = await stripe.events.list({ limit: 3, ending_before: anchor });
      walked.unshift(...back.data.map((e) => e.id));
      if (!back.has_more) break;
      anchor = back.data[0]!.id;
    }
    expect(walked).toEqual(all.slice(0, -1));
    await expect(stripe.events.list({ starting_after: all[3]!, ending_before: all[1]! })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('lists by delivery_success: true, the events every delivery of which succeeded; false, the others', async () => {
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const customer = await stripe.customers.create({ name: 'Sent' });
    await stripe.customers.update(customer.id, { name: 'Sent too' });
    receiver.received.length = 0;
    await drainUntil(webhooks.dispatcher, () => receiver.received.length >= 2);
    await stripe.customers.update(customer.id, { name: 'Not sent yet' });
    const named = async (delivery_success: boolean) =>
      (await stripe.events.list({ limit: 100, delivery_success })).data
        .filter((e) => (e.data.object as Stripe.Customer).id === customer.id)
        .map((e) => (e.data.object as Stripe.Customer).name);
    expect(await named(true)).toEqual(['Sent too', 'Sent']);
    expect(await named(false)).toEqual(['Not sent yet']);
    await expect(stripe.events.list({ delivery_success: 'maybe' as never })).rejects.toMatchObject({ statusCode: 400 });
    await stripe.webhookEndpoints.del(endpoint.id);
  });

  it("refuses a bad endpoint in Stripe's own error shape", async () => {
    await expect(stripe.webhookEndpoints.create({ url: 'not a url', enabled_events: ['*'] })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
    });
  });

  // Stripe's create requires url (https://docs.stripe.com/api/webhook_endpoints/create): without
  // it, its parameter_missing, as a customer's required parameter is; it said "url must be a string.".
  it('refuses a create without url as Stripe does: parameter_missing, naming url', async () => {
    await expect(stripe.webhookEndpoints.create({ enabled_events: ['*'] } as never)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'parameter_missing',
      param: 'url',
      message: 'Missing required param: url.',
    });
  });
});
