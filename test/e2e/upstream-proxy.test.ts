import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGatewayProcess } from '../support/processes.ts';
import { testDatabaseEnv } from '../support/store.ts';
import { type Provider, startProvider, switchableProxy } from '../support/upstream.ts';

// Migrating between providers as a user does it: gateway A serves a Wooshpay client (the official
// Stripe SDK); A's tenant proxies to B, a second custgate process playing Zenskar. Tenant, upstream
// and credentials are made with the CLI; B sits behind a proxy that can be taken down.

let provider: Provider;
let proxy: Awaited<ReturnType<typeof switchableProxy>>;
let gateway: GatewayProcess;
let env: Record<string, string>;
let aCredentials: { wooshpay: { secret_key: string }; zenskar: { api_key: string; organisation: string } };
let stripe: Stripe;

const zenskarB = () => ({
  'x-api-key': provider.credentials.zenskar.api_key ?? '',
  organisation: provider.credentials.zenskar.organisation ?? '',
});
const readB = async (id: string) => {
  const res = await fetch(`${provider.base}/zenskar/customers/${id}`, { headers: zenskarB() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const canonicalA = async (ref: string) => {
  const res = await fetch(`${gateway.base}/gateway/v1/customers/${encodeURIComponent(ref)}`, {
    headers: { authorization: `Bearer ${aCredentials.wooshpay.secret_key}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { ids: Record<string, unknown>; version: number } };
};

beforeAll(async () => {
  provider = await startProvider();
  proxy = await switchableProxy(provider.base);
  env = { NODE_ENV: 'test', CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000', ...testDatabaseEnv() };
  aCredentials = JSON.parse(await runCli(['tenant', 'create', 'migrating', '--json'], env)).credentials;
  const added = JSON.parse(
    await runCli(
      [
        'upstream',
        'add',
        'migrating',
        '--dialect',
        'zenskar',
        '--base-url',
        `${proxy.url}/zenskar`,
        '--mode',
        'proxy',
        '--credentials',
        JSON.stringify(provider.credentials.zenskar),
        '--json',
      ],
      env,
    ),
  ) as Record<string, unknown>;
  expect(added).toMatchObject({ dialect: 'zenskar', mode: 'proxy', base_url: `${proxy.url}/zenskar` });
  expect(JSON.stringify(added)).not.toContain(provider.credentials.zenskar.api_key);
  gateway = await startGatewayProcess(env);
  const { hostname, port } = new URL(gateway.base);
  stripe = new Stripe(aCredentials.wooshpay.secret_key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
  await proxy?.close();
  await provider?.process.stop();
});

describe('e2e: a Stripe SDK client proxied to a Zenskar provider', () => {
  it('upstream list and GET /gateway/v1/upstreams show the upstream without credentials', async () => {
    const listed = JSON.parse(await runCli(['upstream', 'list', 'migrating', '--json'], env)) as Record<string, unknown>[];
    expect(listed).toHaveLength(1);
    const res = await fetch(`${gateway.base}/gateway/v1/upstreams`, {
      headers: { authorization: `Bearer ${aCredentials.wooshpay.secret_key}` },
    });
    const body = (await res.json()) as { data: Record<string, unknown>[] };
    expect(body.data).toEqual(listed);
    expect(JSON.stringify(body)).not.toContain(provider.credentials.zenskar.api_key);
    expect(Object.keys(body.data[0] ?? {}).sort()).toEqual([
      'base_url',
      'created_at',
      'credentials_readable',
      'dialect',
      'encoding',
      'id',
      'mode',
      'tenant_id',
      'webhooks_in',
    ]);
  });

  it('create, update (metadata, address, email clear) and retrieve end with the same customer on B, readable through its Zenskar API', async () => {
    const created = await stripe.customers.create({
      name: 'Jenny Rosen',
      email: 'jenny@example.com',
      phone: '+15555550100',
      metadata: { plan: 'gold' },
      address: { line1: '510 Townsend St', city: 'San Francisco', postal_code: '94103', country: 'US' },
    });
    const links = (await (
      await fetch(`${gateway.base}/gateway/v1/customers/${created.id}/links`, {
        headers: { authorization: `Bearer ${aCredentials.wooshpay.secret_key}` },
      })
    ).json()) as { data: { remote_id: string }[] };
    const remoteId = links.data[0]?.remote_id ?? '';
    expect(remoteId).toMatch(/^[0-9a-f-]{36}$/);

    const updated = await stripe.customers.update(created.id, {
      metadata: { seats: '12' },
      address: { city: 'Oakland', state: 'CA' },
      email: '',
    });
    expect(updated).toMatchObject({
      email: null,
      metadata: { plan: 'gold', seats: '12' },
      address: { line1: '510 Townsend St', city: 'Oakland', state: 'CA' },
    });
    const retrieved = await stripe.customers.retrieve(created.id);
    expect(retrieved).toMatchObject({
      id: created.id,
      name: 'Jenny Rosen',
      email: null,
      phone: '+15555550100',
      metadata: { plan: 'gold', seats: '12' },
    });

    const b = await readB(remoteId);
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({
      id: remoteId,
      customer_name: 'Jenny Rosen',
      email: null,
      phone_number: '+15555550100',
      custom_data: { plan: 'gold', seats: '12' },
      address: { line1: '510 Townsend St', city: 'Oakland', state: 'CA', zipCode: '94103', country_code: 'US' },
    });
    // A's copy is B's customer: the same UUID, the same state.
    const a = await canonicalA(created.id);
    expect(a.body.ids.uuid).toBe(remoteId);
  });

  it('B down: A answers 503 as a Stripe api_error and changes nothing; B up: the next call works', async () => {
    const created = await stripe.customers.create({ name: 'Down Test' });
    const before = await canonicalA(created.id);
    proxy.down();
    try {
      const failed = await stripe.customers.update(created.id, { name: 'While Down' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect((failed as InstanceType<typeof Stripe.errors.StripeAPIError>).statusCode).toBe(503);
      expect((failed as InstanceType<typeof Stripe.errors.StripeAPIError>).type).toBe('StripeAPIError');
      const created2 = await stripe.customers.create({ name: 'Never Stored' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(created2).toBeInstanceOf(Stripe.errors.StripeAPIError);
    } finally {
      proxy.up();
    }
    const after = await canonicalA(created.id);
    expect(after.body).toEqual(before.body);
    const renamed = await stripe.customers.update(created.id, { name: 'Back Up' });
    expect(renamed.name).toBe('Back Up');
    expect((await canonicalA(created.id)).body.version).toBe(before.body.version + 1);
  });

  it("B refuses a duplicate external_id: the Zenskar client on A gets Zenskar's 409, and nothing is stored on A", async () => {
    const onB = await fetch(`${provider.base}/zenskar/customers`, {
      method: 'POST',
      headers: { ...zenskarB(), 'content-type': 'application/json' },
      body: JSON.stringify({ customer_name: 'Taken', external_id: 'ext-taken-1' }),
    });
    expect(onB.status).toBe(200);
    const res = await fetch(`${gateway.base}/zenskar/customers`, {
      method: 'POST',
      headers: {
        'x-api-key': aCredentials.zenskar.api_key,
        organisation: aCredentials.zenskar.organisation,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ customer_name: 'Duplicate', external_id: 'ext-taken-1' }),
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ detail: 'A customer with this external_id already exists.' });
    expect((await canonicalA('ext-taken-1')).status).toBe(404);
  });

  it('a customer only B knows is fetched, stored and linked on first reference, then served from A', async () => {
    const onB = await fetch(`${provider.base}/zenskar/customers`, {
      method: 'POST',
      headers: { ...zenskarB(), 'content-type': 'application/json' },
      body: JSON.stringify({ customer_name: 'Existing Customer', email: 'existing@example.com' }),
    });
    const remote = (await onB.json()) as { id: string };
    const res = await fetch(`${gateway.base}/zenskar/customers/${remote.id}`, {
      headers: { 'x-api-key': aCredentials.zenskar.api_key, organisation: aCredentials.zenskar.organisation },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: remote.id, customer_name: 'Existing Customer', email: 'existing@example.com' });
    const a = await canonicalA(remote.id);
    expect(a.body).toMatchObject({ name: 'Existing Customer', ids: { uuid: remote.id } });
    // Changed on B directly: A keeps serving its copy until asked to refresh.
    await fetch(`${provider.base}/zenskar/customers/${remote.id}`, {
      method: 'PATCH',
      headers: { ...zenskarB(), 'content-type': 'application/json' },
      body: JSON.stringify({ customer_name: 'Renamed On B' }),
    });
    expect((await canonicalA(remote.id)).body.name).toBe('Existing Customer');
    const refreshed = await fetch(`${gateway.base}/gateway/v1/customers/${remote.id}?refresh=true`, {
      headers: { authorization: `Bearer ${aCredentials.wooshpay.secret_key}` },
    });
    expect(((await refreshed.json()) as { name: string }).name).toBe('Renamed On B');
    expect((await canonicalA(remote.id)).body.name).toBe('Renamed On B');
  });
});
