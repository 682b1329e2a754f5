import { afterAll, expect, it } from 'vitest';
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
import { receiver } from './support/webhook-setup.ts';

// An endpoint whose receiver is down is held (docs/webhooks.md): its events wait unsent until the
// hold ends. The hold is stored with the endpoint (held_until, held_rounds), yet no view showed it:
// an operator saw `enabled`, `failures: 0` and events not arriving. Now the gateway's own
// GET /gateway/v1/webhook_endpoints[/{id}] and `custgate webhook list` show it; Stripe's routes
// keep Stripe's shape.

let store: Store | undefined;
afterAll(async () => {
  await store?.executor.close();
});

interface View {
  id: string;
  status: string;
  held?: boolean;
  held_until?: string | null;
  held_rounds?: number;
}

it('shows a held endpoint as held, until when and after how many failed rounds, and not once it is released', async () => {
  // A ten-minute backoff: the hold is still running when it is read.
  const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_WEBHOOK_BASE_DELAY_MS: '600000' };
  store = await openStore(env);
  const config = loadConfig(env);
  const webhooks = new Webhooks(store, keyringFor(config, store.upstreams), Object.values(dialects), {
    ...config.webhooks,
    logger: { error: () => undefined },
    kickAfterWrite: false,
  });
  const app = createApp({ store, config, logger: { error: () => undefined }, webhooks });
  const name = `held-${crypto.randomUUID().slice(0, 8)}`;
  const { credentials } = await createTenant(store, config, name);
  const auth = { authorization: `Bearer ${credentials.wooshpay!.secret_key}` };
  const hooks = await receiver();
  hooks.status = 503;
  const added = await app.request('/gateway/v1/webhook_endpoints', jsonInit('POST', { url: hooks.url }, auth));
  expect(added.status).toBe(201);
  const endpoint = (await added.json()) as View;
  expect(endpoint).toMatchObject({ held: false, held_until: null, held_rounds: 0 });

  expect((await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'While down' }, auth))).status).toBe(200);
  const before = Date.now();
  await webhooks.dispatcher.drain();

  const one = (await (await app.request(`/gateway/v1/webhook_endpoints/${endpoint.id}`, { headers: auth })).json()) as View;
  expect(one).toMatchObject({ status: 'enabled', held: true, held_rounds: 1 });
  expect(Date.parse(one.held_until!)).toBeGreaterThan(before);
  const list = (await (await app.request('/gateway/v1/webhook_endpoints', { headers: auth })).json()) as { data: View[] };
  expect(list.data.find((e) => e.id === endpoint.id)).toMatchObject({ held: true, held_until: one.held_until, held_rounds: 1 });

  // The CLI's list, from another process.
  const printed = JSON.parse(await runCli(['webhook', 'list', name, '--json'], env)) as View[];
  expect(printed.find((e) => e.id === endpoint.id)).toMatchObject({ held_until: one.held_until, held_rounds: 1 });
  expect(await runCli(['webhook', 'list', name], env)).toContain(one.held_until!);

  // Stripe's endpoint resource keeps Stripe's members.
  const stripe = (await (await app.request(`/v1/webhook_endpoints/${endpoint.id}`, { headers: auth })).json()) as Record<string, unknown>;
  expect(stripe.id).toBe(endpoint.id);
  expect(Object.keys(stripe).filter((k) => k.startsWith('held'))).toEqual([]);

  // Enabled again (the tenant says the receiver is back): the hold ends, and the view says so.
  hooks.status = 200;
  expect((await app.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/enable`, { method: 'POST', headers: auth })).status).toBe(200);
  const released = (await (await app.request(`/gateway/v1/webhook_endpoints/${endpoint.id}`, { headers: auth })).json()) as View;
  expect(released).toMatchObject({ held: false, held_until: null, held_rounds: 0 });
}, 60_000);
