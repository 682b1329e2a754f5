import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeApiVersions } from '../src/webhooks/stripe-api-versions.ts';
import { startWebhookSdkServer, type WebhookSdkServer } from './support/webhook-sdk.ts';

// Stripe's create takes `api_version` and `connect` (https://docs.stripe.com/api/webhook_endpoints/create);
// stripe-go's own comment recommends passing the version the library is pinned to. Before, both
// were refused as unknown parameters (400 parameter_unknown), so such an SDK call failed. Now
// `api_version` is stored and shown back (on create, retrieve and list; events keep custgate's one
// shape), `connect: false` is taken and `connect: true` refused: there are no connected accounts.
// `api_version` was checked for its shape only, so `2024-13-45` was stored; Stripe takes only a
// version it has released (the enum of its API spec), so now a value that is none is refused.

let server: WebhookSdkServer;
let stripe: Stripe;

beforeAll(async () => {
  server = await startWebhookSdkServer();
  stripe = server.client();
});
afterAll(async () => server?.close());

const refusal = async (call: Promise<unknown>) => {
  const error = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as Stripe.errors.StripeError | undefined;
  expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  return { status: error?.statusCode, code: error?.code, param: error?.param, message: error?.message };
};

describe("Stripe's api_version and connect on a webhook endpoint's create", () => {
  it('stores api_version and shows it back; connect=false is taken', async () => {
    const made = await stripe.webhookEndpoints.create({
      url: 'https://example.com/hooks',
      enabled_events: ['customer.updated'],
      api_version: Stripe.API_VERSION,
      connect: false,
    } as Stripe.WebhookEndpointCreateParams);
    expect(made).toMatchObject({ object: 'webhook_endpoint', api_version: Stripe.API_VERSION, application: null });
    expect((await stripe.webhookEndpoints.retrieve(made.id)).api_version).toBe(Stripe.API_VERSION);
    const plain = await stripe.webhookEndpoints.create({ url: 'https://example.com/plain', enabled_events: ['*'] });
    expect(plain.api_version).toBeNull();
    const listed = await stripe.webhookEndpoints.list();
    expect(listed.data.map((e) => [e.id, e.api_version])).toEqual([
      [plain.id, null],
      [made.id, Stripe.API_VERSION],
    ]);
    const dated = await stripe.webhookEndpoints.create({
      url: 'https://example.com/dated',
      enabled_events: ['*'],
      api_version: '2024-06-20',
    } as Stripe.WebhookEndpointCreateParams);
    expect(dated.api_version).toBe('2024-06-20');
  });

  it('refuses connect=true, a malformed api_version, and api_version on update, creating or changing nothing', async () => {
    const before = (await stripe.webhookEndpoints.list()).data.map((e) => e.id);
    expect(
      await refusal(stripe.webhookEndpoints.create({ url: 'https://example.com/c', enabled_events: ['*'], connect: true })),
    ).toMatchObject({
      status: 400,
      code: 'parameter_invalid',
      param: 'connect',
      message: expect.stringMatching(/no connected accounts/),
    });
    const bad = stripe.webhookEndpoints.create({
      url: 'https://example.com/v',
      enabled_events: ['*'],
      api_version: 'latest',
    } as unknown as Stripe.WebhookEndpointCreateParams);
    expect(await refusal(bad)).toMatchObject({ status: 400, code: 'parameter_invalid', param: 'api_version' });
    expect((await stripe.webhookEndpoints.list()).data.map((e) => e.id)).toEqual(before);
    const [id] = before;
    const update = stripe.webhookEndpoints.update(id!, { api_version: '2024-06-20' } as Stripe.WebhookEndpointUpdateParams);
    expect(await refusal(update)).toMatchObject({ status: 400, code: 'parameter_unknown', param: 'api_version' });
  });

  it('refuses a date that does not exist, and one that is no Stripe version, as Stripe does', async () => {
    const before = (await stripe.webhookEndpoints.list()).data.map((e) => e.id);
    const create = (version: string) =>
      stripe.webhookEndpoints.create({
        url: 'https://example.com/d',
        enabled_events: ['*'],
        api_version: version,
      } as unknown as Stripe.WebhookEndpointCreateParams);
    // No such day; a real day on which Stripe released no version; a day not come yet; no version at all.
    for (const version of ['2024-13-45', '2024-02-30', '2024-06-21', '2099-01-01', '2024-06-20.', '2024-06-20 ']) {
      expect(await refusal(create(version)), version).toMatchObject({
        status: 400,
        code: 'parameter_invalid',
        param: 'api_version',
        message: expect.stringContaining(`Invalid api_version: ${version} is not a Stripe API version`),
      });
    }
    expect((await stripe.webhookEndpoints.list()).data.map((e) => e.id)).toEqual(before);
    // Every version Stripe lists is taken, the oldest and a named release among them, and one
    // released after the list was made (the day after its newest: past already on this machine).
    const newest = new Date(`${stripeApiVersions.at(-1)!.slice(0, 10)}T00:00:00Z`);
    const since = `${new Date(newest.getTime() + 86_400_000).toISOString().slice(0, 10)}.later`;
    for (const version of ['2011-01-01', '2025-03-31.basil', since]) expect((await create(version)).api_version).toBe(version);
  });

  it("lists the versions stripe-node's types list (an upgrade of it shows what to add)", () => {
    const types = join(dirname(createRequire(import.meta.url).resolve('stripe')), '..', 'esm', 'resources', 'WebhookEndpoints.d.ts');
    const declared = /type ApiVersion = ([^;]+);/.exec(readFileSync(types, 'utf8'))?.[1];
    expect(declared).toBeDefined();
    expect([...declared!.matchAll(/'([^']+)'/g)].map((m) => m[1])).toEqual(stripeApiVersions);
  });
});
