import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainSettled } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addUpstream, type CreatedTenant, createApp, createTenant, replicationFor } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';

// A mirror or shadow provider (or a cache or router before it) that answers a request for one
// customer with another customer's. A mirror update so answered is not known to have reached the
// customer: before, it counted as delivered; now it is a provider failure, retried, then
// dead-lettered naming both ids. A shadow's read-back so answered says nothing of this customer:
// before, the other customer's values were recorded as this one's differences; now the read fails
// (logged) and nothing is compared.

const ours = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2f01';
const theirs = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2f02';
const zenskar = (id: string, name: string) =>
  JSON.stringify({ id, external_id: null, customer_name: name, custom_data: {}, email: null, phone_number: null });

/** The provider's answer to each request: by method. */
let answers: Record<string, string> = {};
/** Requests the provider received, as `METHOD path`. */
const received: string[] = [];
let server: Server;
let base = '';
let store: Store;
let dispatcher: Dispatcher;
let request: (path: string, init?: RequestInit) => Promise<Response>;
const logged: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
const maxAttempts = 3;

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answers[req.method ?? ''] ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const env = {
    ...testDatabaseEnv(),
    ...testEnv,
    CUSTGATE_OUTBOX_MAX_ATTEMPTS: String(maxAttempts),
    CUSTGATE_OUTBOX_BASE_DELAY_MS: '1',
    CUSTGATE_OUTBOX_MAX_DELAY_MS: '5',
  };
  store = await openStore(env);
  const config = loadConfig(env);
  const logger = { error: (event: string, fields: Readonly<Record<string, unknown>>) => void logged.push({ event, fields }) };
  const replication = replicationFor(store, config, { logger });
  dispatcher = replication.dispatcher;
  const app = createApp({ store, config, logger: { error: () => undefined }, replication: { ...replication, drainAfterWrite: false } });
  request = async (path, init) => app.request(path, init);
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await store?.executor.close();
});

async function tenantWith(name: string, mode: 'mirror' | 'shadow'): Promise<{ tenant: CreatedTenant; auth: Record<string, string> }> {
  const config = loadConfig({ ...testDatabaseEnv(), ...testEnv });
  const tenant = await createTenant(store, config, `${name}-${crypto.randomUUID().slice(0, 8)}`);
  await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
    dialect: 'zenskar',
    baseUrl: base,
    mode,
    credentials: { api_key: 'zsk_upstream', organisation: '00000000-0000-4000-8000-000000000001' },
  });
  return { tenant, auth: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` } };
}

async function deliveries(id: string, auth: Record<string, string>) {
  const res = await request(`/gateway/v1/customers/${id}/deliveries`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { version: number; state: string; attempts: number; last_error: string | null }[] }).data;
}

describe('a replica provider answering with another customer', () => {
  it('a mirror update answered with another customer is not delivered: retried, then dead-lettered naming both', async () => {
    const { auth } = await tenantWith('mirror-other', 'mirror');
    answers = { POST: zenskar(ours, 'Ours') };
    const created = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Ours' }, auth));
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { id: string }).id;
    expect(await drainSettled(dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });

    answers = { PATCH: zenskar(theirs, 'Somebody Else') };
    const sentBefore = received.filter((r) => r.startsWith('PATCH')).length;
    const updated = await request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Renamed' }, auth));
    expect(updated.status).toBe(200);
    const report = await drainSettled(dispatcher, 1);
    expect(report).toMatchObject({ delivered: 0, dead: 1 });
    const update = (await deliveries(id, auth)).find((d) => d.version === 2)!;
    expect(update).toMatchObject({ state: 'dead', attempts: maxAttempts });
    expect(update.last_error).toContain(theirs);
    expect(update.last_error).toContain(ours);
    // Each attempt reached the provider: retried as a provider failure, not refused at once.
    expect(received.filter((r) => r.startsWith('PATCH')).length - sentBefore).toBe(maxAttempts);
  });

  it("a shadow's read-back answered with another customer is not compared, and the failed read is logged", async () => {
    const { auth } = await tenantWith('shadow-other', 'shadow');
    answers = { POST: zenskar(ours, 'Ours'), GET: zenskar(theirs, 'Somebody Else') };
    const created = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Ours' }, auth));
    expect(created.status).toBe(200);
    logged.length = 0;
    expect(await drainSettled(dispatcher, 1)).toMatchObject({ delivered: 1, compared: 0, mismatched: 0 });
    const shadow = await request('/gateway/v1/shadow', { headers: auth });
    expect(((await shadow.json()) as { dialects: unknown[] }).dialects).toEqual([]);
    const failed = logged.filter((l) => l.event === 'shadow_read_failed');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.fields.message)).toContain(theirs);
  });
});
