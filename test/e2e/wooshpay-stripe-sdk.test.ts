import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGatewayProcess } from '../support/processes.ts';

// The product's promise end to end: a real server process, a tenant made with the CLI, and the
// official Stripe SDK pointed at the gateway instead of Stripe.

const dir = mkdtempSync(join(tmpdir(), 'custgate-e2e-'));
const env = { DATABASE_URL: `file:${join(dir, 'gateway.db')}`, NODE_ENV: 'test' };
let server: GatewayProcess;
let secretKey: string;
let stripe: Stripe;

beforeAll(async () => {
  server = await startGatewayProcess(env);
  const stdout = await runCli(['tenant', 'create', 'acme', '--json'], env);
  const created = JSON.parse(stdout) as { tenant: { id: string; name: string }; credentials: { wooshpay: { secret_key: string } } };
  expect(stdout.trim().split('\n')).toHaveLength(1);
  expect(created.tenant).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'acme' });
  secretKey = created.credentials.wooshpay.secret_key;
  expect(secretKey).toMatch(/^sk_test_/);
  const { hostname, port } = new URL(server.base);
  stripe = new Stripe(secretKey, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('e2e: the Stripe SDK against a running gateway', () => {
  it('creates, updates (metadata merge and delete, "" clears) and retrieves a customer', async () => {
    const created = await stripe.customers.create({
      name: 'Jenny Rosen',
      email: 'jenny@example.com',
      phone: '+15555550100',
      metadata: { plan: 'gold', seats: '3' },
      address: { line1: '510 Townsend St', city: 'San Francisco', country: 'US' },
    });
    expect(created.id).toMatch(/^cus_/);
    expect(created.object).toBe('customer');

    const updated = await stripe.customers.update(created.id, {
      phone: '',
      metadata: { seats: '', tier: 'enterprise' },
      address: { city: 'Oakland' },
    });
    expect(updated.phone).toBeNull();
    expect(updated.metadata).toEqual({ plan: 'gold', tier: 'enterprise' });
    expect(updated.address).toMatchObject({ line1: '510 Townsend St', city: 'Oakland', country: 'US' });

    const retrieved = (await stripe.customers.retrieve(created.id)) as Stripe.Customer;
    expect(retrieved).toMatchObject({ id: created.id, name: 'Jenny Rosen', email: 'jenny@example.com', phone: null, livemode: false });
    expect(retrieved.metadata).toEqual({ plan: 'gold', tier: 'enterprise' });
  });

  it("raises the SDK's own errors for a missing customer and a bad key", async () => {
    await expect(stripe.customers.retrieve('cus_doesnotexist')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
    const { hostname, port } = new URL(server.base);
    const wrong = new Stripe('sk_test_wrongwrongwrong', { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
    await expect(wrong.customers.create({ name: 'x' })).rejects.toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
  });

  it('answers plain HTTP with Basic auth, and the gateway API with every identifier', async () => {
    const res = await fetch(`${server.base}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${secretKey}:`)}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Plain&metadata[source]=curl',
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const canonical = await fetch(`${server.base}/gateway/v1/customers/${id}`, { headers: { authorization: `Bearer ${secretKey}` } });
    expect(await canonical.json()).toMatchObject({
      ids: { public_id: id, uuid: expect.any(String), number: expect.any(Number), alias: null, external_id: null },
      name: 'Plain',
      metadata: { source: 'curl' },
    });
    expect((await fetch(`${server.base}/gateway/v1/health`)).status).toBe(200);
  });

  it('writes nothing secret or internal to its output', () => {
    expect(server.output()).not.toContain(secretKey);
    expect(server.output()).not.toMatch(/\bat .+\.ts:\d+/);
  });
});
