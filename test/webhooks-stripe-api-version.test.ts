import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookSdkServer, type WebhookSdkServer } from './support/webhook-sdk.ts';

// Stripe's create takes `api_version` and `connect` (https://docs.stripe.com/api/webhook_endpoints/create);
// stripe-go's own comment recommends passing the version the library is pinned to. Before, both
// were refused as unknown parameters (400 parameter_unknown), so such an SDK call failed. Now
// `api_version` is stored and shown back (on create, retrieve and list; events keep custgate's one
// shape), `connect: false` is taken and `connect: true` refused: there are no connected accounts.

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
});
