import { afterAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { Webhooks } from '../src/webhooks/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { createApp, createTenant } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { receiver, stripeEventOf } from './support/webhook-setup.ts';

// An endpoint held down (docs/operations.md, "When a provider is down") is released when the tenant
// says its receiver is back: enable, a new URL, a resend, a reset. The hold lived in the memory of
// the process whose round failed, so a release by another process (`custgate webhook enable` or
// `resend` from a shell, a second server on the database) reached the store and not that memory:
// the serving process kept the events back for the rest of a hold of up to an hour. Now the hold
// is the endpoint's, in the store, and every process reads it.
//
// Gateway A is the server whose dispatcher holds the endpoint; the release comes from the real CLI
// or from gateway B, an app over its own store on the same database (as a second process has). The
// backoff is ten minutes, so a delivery drained at once is one the hold let through.

const stores: Store[] = [];
afterAll(async () => {
  for (const store of stores.splice(0)) await store.executor.close();
});

async function gateway(env: Record<string, string>) {
  const store = await openStore(env);
  stores.push(store);
  const config = loadConfig(env);
  const logged: string[] = [];
  const logger = { error: (event: string) => logged.push(event) };
  const webhooks = new Webhooks(store, keyringFor(config, store.upstreams), Object.values(dialects), {
    ...config.webhooks,
    logger,
    kickAfterWrite: false,
  });
  const app = createApp({ store, config, logger, webhooks });
  return { store, config, webhooks, app, logged };
}

async function held() {
  const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_WEBHOOK_BASE_DELAY_MS: '600000' };
  const a = await gateway(env);
  const b = await gateway(env);
  const { credentials } = await createTenant(a.store, a.config, 'acme');
  const auth = { authorization: `Bearer ${credentials.wooshpay!.secret_key}` };
  const hooks = await receiver();
  hooks.status = 503;
  const added = await a.app.request('/gateway/v1/webhook_endpoints', jsonInit('POST', { url: hooks.url }, auth));
  expect(added.status).toBe(201);
  const endpoint = (await added.json()) as { id: string; secret: string };
  const create = async (name: string) => {
    const res = await a.app.request('/wooshpay/v1/customers', jsonInit('POST', { name }, auth));
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string };
  };
  await create('While down');
  await a.webhooks.dispatcher.drain();
  expect(a.logged).toContain('webhook_endpoint_held');
  // The receiver is back; a new write's event is held with the rest until someone says so.
  hooks.status = 200;
  const second = await create('Once back');
  await a.webhooks.dispatcher.drain();
  expect(hooks.received).toHaveLength(0);
  const names = () => hooks.received.map((r) => (stripeEventOf(r, endpoint.secret).data.object as { name: string }).name);
  const eventOf = async (customer: string) => {
    const events = (await (await a.app.request('/v1/events', { headers: auth })).json()) as {
      data: { id: string; data: { object: { id: string } } }[];
    };
    return events.data.find((e) => e.data.object.id === customer)!.id;
  };
  return { env, a, b, auth, hooks, endpoint, second, create, names, eventOf };
}

describe('a webhook endpoint held by one process', () => {
  it('is released by `custgate webhook enable` from another process: the server sends what waited', async () => {
    const { env, a, endpoint, names } = await held();
    expect(await runCli(['webhook', 'enable', 'acme', endpoint.id], env)).toContain('enabled');
    await a.webhooks.dispatcher.drain();
    // Two customers: their order is not promised (docs/webhooks.md promises it per customer).
    expect(names().sort()).toEqual(['Once back', 'While down']);
  }, 60_000);

  it('is released by `custgate webhook resend` from another process: the server sends the resent event', async () => {
    const { env, a, second, names, eventOf } = await held();
    const event = await eventOf(second.id);
    expect(await runCli(['webhook', 'resend', event, '--tenant', 'acme'], env)).toContain('queued again');
    await a.webhooks.dispatcher.drain();
    expect(names()).toContain('Once back');
  }, 60_000);

  it('is held by every process, and released for all by an enable through a second gateway', async () => {
    const { a, b, auth, endpoint, create, names } = await held();
    // B's dispatcher did not fail a round itself; the hold is the endpoint's, so B holds it too.
    await create('Through B');
    await b.webhooks.dispatcher.drain();
    expect(names()).toEqual([]);
    const res = await b.app.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/enable`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    await a.webhooks.dispatcher.drain();
    expect(names().sort()).toEqual(['Once back', 'Through B', 'While down']);
  }, 60_000);

  it('is released by a reset of its tenant through a second gateway: the next write is sent at once', async () => {
    const { a, b, auth, create, names } = await held();
    expect((await b.app.request('/gateway/v1/reset', { method: 'POST', headers: auth })).status).toBe(200);
    await create('After the reset');
    await a.webhooks.dispatcher.drain();
    expect(names()).toEqual(['After the reset']);
  }, 60_000);
});
