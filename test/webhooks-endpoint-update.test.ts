import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import type { Webhooks } from '../src/webhooks/index.ts';
import { drainUntil } from './support/drain-until.ts';
import { createTenant, reissueCredentials } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { startWebhookSdkServer } from './support/webhook-sdk.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// Stripe's "update a webhook endpoint" (https://docs.stripe.com/api/webhook_endpoints/update),
// called by the official `stripe` SDK against a gateway on a real port: url, enabled_events,
// description, metadata (merged key by key) and disabled change what is sent where; a bad value or
// an unknown parameter is Stripe's 400 and changes nothing; another tenant's or another mode's
// endpoint is a 404.

let close: () => Promise<void>;
let stripe: Stripe;
let other: Stripe;
let live: Stripe;
let webhooks: Webhooks;
let first: Receiver;
let second: Receiver;

beforeAll(async () => {
  // A database file (the writer thread), as `serve` runs: a read and a write of two requests can interleave there.
  const server = await startWebhookSdkServer(testDatabaseEnv());
  webhooks = server.webhooks;
  const rival = await createTenant(server.store, server.config, 'rival');
  const liveKey = await reissueCredentials(server.store, server.config, server.tenant.tenant, dialects.wooshpay, { livemode: true });
  [first, second] = [await startReceiver(), await startReceiver()];
  close = async () => {
    await first.close();
    await second.close();
    await server.close();
  };
  stripe = server.client();
  other = server.client(rival.credentials.wooshpay!.secret_key!);
  live = server.client(liveKey.secret_key!);
});

afterAll(async () => close?.());

const names = (r: Receiver, secret: string) =>
  r.received.map((x) => {
    const e = stripe.webhooks.constructEvent(x.body, x.headers['stripe-signature']!, secret);
    return [e.type, (e.data.object as Stripe.Customer).name];
  });

describe('stripe.webhookEndpoints.update', () => {
  it('changes the events, the URL, the description and metadata, and disables and enables the endpoint', async () => {
    const made = await stripe.webhookEndpoints.create({
      url: first.url,
      enabled_events: ['customer.created'],
      description: 'CRM sync',
      metadata: { team: 'billing', owner: 'jenny' },
    });
    expect(made).toMatchObject({ description: 'CRM sync', metadata: { team: 'billing', owner: 'jenny' } });

    const updated = await stripe.webhookEndpoints.update(made.id, {
      url: second.url,
      enabled_events: ['customer.updated'],
      description: 'CRM sync (v2)',
      metadata: { owner: '', region: 'eu' },
    });
    expect(updated).toMatchObject({
      id: made.id,
      object: 'webhook_endpoint',
      url: second.url,
      enabled_events: ['customer.updated'],
      description: 'CRM sync (v2)',
      metadata: { team: 'billing', region: 'eu' },
      status: 'enabled',
      livemode: false,
    });
    expect(updated.secret).toBeUndefined();
    expect(await stripe.webhookEndpoints.retrieve(made.id)).toMatchObject({ url: second.url, metadata: { team: 'billing', region: 'eu' } });

    // Sent under the new events, to the new URL, still signed with the secret made at create.
    const customer = await stripe.customers.create({ name: 'Jenny Rosen' });
    await stripe.customers.update(customer.id, { name: 'Jenny R.' });
    await drainUntil(webhooks.dispatcher, () => second.received.length >= 1);
    expect(names(second, made.secret!)).toEqual([['customer.updated', 'Jenny R.']]);
    expect(first.received).toEqual([]);

    // Disabled: a write's event is not sent to it (as `disable`); enabled again, the next one is.
    expect(await stripe.webhookEndpoints.update(made.id, { disabled: true })).toMatchObject({ status: 'disabled' });
    await stripe.customers.update(customer.id, { name: 'While disabled' });
    await webhooks.dispatcher.drain();
    expect(second.received).toHaveLength(1);
    expect(await stripe.webhookEndpoints.update(made.id, { disabled: false })).toMatchObject({ status: 'enabled' });
    await stripe.customers.update(customer.id, { name: 'Enabled again' });
    await drainUntil(webhooks.dispatcher, () => second.received.length >= 2);
    expect(names(second, made.secret!).slice(1)).toEqual([['customer.updated', 'Enabled again']]);

    // "" removes the description and every metadata key.
    const cleared = await stripe.webhookEndpoints.update(made.id, { description: '', metadata: '' });
    expect(cleared).toMatchObject({ description: null, metadata: {} });
    await stripe.webhookEndpoints.del(made.id);
  });

  it('keeps every key of concurrent metadata merges (none lost to another update between its read and its write)', async () => {
    const made = await stripe.webhookEndpoints.create({ url: first.url, enabled_events: ['*'], metadata: { base: '0' } });
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((k) => stripe.webhookEndpoints.update(made.id, { metadata: { [k]: k } })));
    // Each answer shows its own key merged into what was there when it was written.
    for (const [i, answer] of answers.entries()) expect(answer.metadata).toMatchObject({ base: '0', [keys[i]!]: keys[i] });
    expect((await stripe.webhookEndpoints.retrieve(made.id)).metadata).toEqual({
      base: '0',
      ...Object.fromEntries(keys.map((k) => [k, k])),
    });
    await stripe.webhookEndpoints.del(made.id);
  });

  it("refuses a bad value or an unknown parameter in Stripe's envelope and changes nothing", async () => {
    const made = await stripe.webhookEndpoints.create({ url: first.url, enabled_events: ['*'], metadata: { a: '1' } });
    const refusals: Stripe.WebhookEndpointUpdateParams[] = [
      { url: 'ftp://example.com/hooks', description: 'kept out' },
      { enabled_events: ['charge.succeeded'] as never, description: 'kept out' },
      { metadata: { ['k'.repeat(41)]: 'v' }, description: 'kept out' },
      { metadata: { b: 'x'.repeat(501) } },
      { description: 'd'.repeat(5001) },
      { disabled: 'maybe' as never },
      { colour: 'blue' } as never,
    ];
    for (const params of refusals) {
      await expect(stripe.webhookEndpoints.update(made.id, params), JSON.stringify(params).slice(0, 80)).rejects.toMatchObject({
        type: 'StripeInvalidRequestError',
        statusCode: 400,
      });
    }
    expect(await stripe.webhookEndpoints.retrieve(made.id)).toMatchObject({
      url: first.url,
      enabled_events: ['*'],
      description: null,
      metadata: { a: '1' },
      status: 'enabled',
    });
    await stripe.webhookEndpoints.del(made.id);
  });

  it("is a 404 for another tenant's endpoint, another mode's, and an unknown id; none of them changes", async () => {
    const mine = await stripe.webhookEndpoints.create({ url: first.url, enabled_events: ['*'] });
    const liveOne = await live.webhookEndpoints.create({ url: first.url, enabled_events: ['*'] });
    for (const [who, id] of [
      [other, mine.id],
      [live, mine.id],
      [stripe, liveOne.id],
      [stripe, 'we_nope'],
    ] as const) {
      await expect(who.webhookEndpoints.update(id, { url: second.url, disabled: true })).rejects.toMatchObject({
        type: 'StripeInvalidRequestError',
        statusCode: 404,
      });
    }
    expect(await stripe.webhookEndpoints.retrieve(mine.id)).toMatchObject({ url: first.url, status: 'enabled' });
    expect(await live.webhookEndpoints.retrieve(liveOne.id)).toMatchObject({ url: first.url, status: 'enabled', livemode: true });
    // Each key's own endpoint it can change.
    expect(await stripe.webhookEndpoints.update(mine.id, { url: second.url })).toMatchObject({ url: second.url });
    expect(await live.webhookEndpoints.update(liveOne.id, { disabled: true })).toMatchObject({ status: 'disabled', livemode: true });
  });
});
