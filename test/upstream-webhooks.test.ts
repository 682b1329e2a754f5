import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { type CreatedTenant, createTenant, createApp, addUpstream, replicationFor } from './support/registered.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// A provider's own signed events in (POST /gateway/v1/upstreams/{id}/webhook): a change made at
// the provider (its dashboard) reaches a proxy tenant's local copy; a forged, replayed or stale
// event changes nothing; for a mirror the change is recorded as drift. The signatures are made by
// the libraries the providers' senders use: `stripe`'s test header and `standardwebhooks`.

const stripe = new Stripe('sk_test_unused');
const stripeSecret = 'whsec_inbound_test_secret_0123456789';
const meteroidSecret = `whsec_${Buffer.from('meteroid-inbound-secret-bytes!!').toString('base64')}`;

describe('webhooks in from upstreams', () => {
  let provider: Provider;
  let store: Store;
  let tenant: CreatedTenant;
  let dispatcher: Dispatcher;
  let request: (path: string, init?: RequestInit) => Promise<Response>;
  let env: Record<string, string>;
  const auth = (t = tenant) => ({ authorization: `Bearer ${t.credentials.wooshpay!.secret_key}` });

  beforeAll(async () => {
    provider = await startProvider();
    env = { ...testDatabaseEnv(), ...testEnv, CUSTGATE_AUTH_FAILURE_LIMIT: '8' };
    store = await openStore(env);
    const config = loadConfig(env);
    tenant = await createTenant(store, config, 'inbound');
    const replication = replicationFor(store, config, { logger: { error: () => undefined } });
    dispatcher = replication.dispatcher;
    const app = createApp({
      store,
      config,
      logger: { error: () => undefined },
      replication: { ...replication, drainAfterWrite: false },
      clientAddress: (c) => c.req.header('x-test-client'),
    });
    request = async (path, init) => app.request(path, init);
    // A second gateway process starting on a loaded machine.
  }, 120_000);
  afterAll(async () => {
    await store?.executor.close();
    await provider?.process.stop();
  });

  const keyring = () => keyringFor(loadConfig(env), store.upstreams);
  const canonical = async (ref: string, t = tenant) => {
    const res = await request(`/gateway/v1/customers/${ref}`, { headers: auth(t) });
    expect(res.status).toBe(200);
    return (await res.json()) as { name: string; version: number; ids: { uuid: string } };
  };
  const remoteOf = async (ref: string, upstreamId: string, t = tenant) => {
    const res = await request(`/gateway/v1/customers/${ref}/links`, { headers: auth(t) });
    const links = ((await res.json()) as { data: { upstream_id: string; remote_id: string }[] }).data;
    const link = links.find((l) => l.upstream_id === upstreamId);
    if (!link) throw new Error(`no link to ${upstreamId}`);
    return link.remote_id;
  };
  /** The customer as the provider holds it, through its own API (what its event carries). */
  const atProvider = async (dialect: 'wooshpay' | 'meteroid', remoteId: string, change?: Record<string, unknown>) => {
    const creds = provider.credentials[dialect];
    const client = dialects[dialect].client;
    if (change) {
      const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers/${remoteId}`, {
        method: 'POST',
        headers: { ...client.retrieve(remoteId, creds).headers, 'content-type': 'application/json' },
        body: JSON.stringify(change),
      });
      expect(res.status).toBe(200);
    }
    const read = client.retrieve(remoteId, creds);
    const res = await fetch(`${provider.baseUrl(dialect)}${read.path}`, { headers: read.headers });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  const stripeEvent = (id: string, type: string, object: Record<string, unknown>, created = Math.floor(Date.now() / 1000)) =>
    JSON.stringify({ id, object: 'event', type, created, livemode: false, data: { object } });
  const postStripe = (upstreamId: string, payload: string, header: string, client = '192.0.2.10') =>
    request(`/gateway/v1/upstreams/${upstreamId}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header, 'x-test-client': client },
      body: payload,
    });
  const signed = (payload: string, secret = stripeSecret, timestamp?: number) =>
    stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });

  it('a signed customer.updated from the proxy upstream updates the local copy; a replay, a forgery or an older event changes nothing', {
    timeout: 60_000,
  }, async () => {
    const upstream = await addUpstream(store, keyring(), tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
      webhookSecret: stripeSecret,
    });
    expect(upstream.webhooks_in).toBe(true);
    const created = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Ada', email: 'ada@example.com' }, auth()));
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { id: string }).id;
    const remote = await remoteOf(id, upstream.id);
    const before = await canonical(id);

    // Edited at the provider (its dashboard): the provider's event carries its state.
    const edited = await atProvider('wooshpay', remote, { name: 'Ada Lovelace' });
    const payload = stripeEvent('evt_dashboard_1', 'customer.updated', edited);
    const res = await postStripe(upstream.id, payload, signed(payload));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: true, event: 'evt_dashboard_1', outcome: 'applied', customer: before.ids.uuid });
    const after = await canonical(id);
    expect(after.name).toBe('Ada Lovelace');
    expect(after.version).toBe(before.version + 1);

    // Replayed (the provider's retry, or an attacker's copy): acknowledged, nothing changes.
    const replay = await postStripe(upstream.id, payload, signed(payload));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ outcome: 'duplicate' });

    // Forged: tampered after signing, signed with another secret, signed too long ago, sent to an unknown upstream.
    const tampered = stripeEvent('evt_forged_1', 'customer.updated', { ...edited, name: 'Mallory' });
    const header = signed(payload);
    const old = Math.floor(Date.now() / 1000) - 3600;
    for (const [path, body, sig] of [
      [upstream.id, tampered, header],
      [upstream.id, tampered, signed(tampered, 'whsec_someone_else_entirely')],
      [upstream.id, tampered, signed(tampered, stripeSecret, old)],
      [upstream.id, tampered, ''],
      ['ups_doesnotexist000000000', tampered, signed(tampered)],
    ] as const) {
      const forged = await postStripe(path, body, sig, '192.0.2.20');
      expect(forged.status, sig).toBe(400);
      expect(await forged.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    // An older event (sent before the one taken in, arriving after it): stale.
    const older = stripeEvent('evt_older_1', 'customer.updated', { ...edited, name: 'Ada Old' }, Math.floor(Date.now() / 1000) - 120);
    const stale = await postStripe(upstream.id, older, signed(older));
    expect(stale.status).toBe(200);
    expect(await stale.json()).toMatchObject({ outcome: 'stale' });
    expect(await canonical(id)).toMatchObject({ name: 'Ada Lovelace', version: after.version });

    // A customer created at the provider arrives as a new local customer, linked to it.
    const fresh = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers`, {
      method: 'POST',
      headers: { ...dialects.wooshpay.client.retrieve('x', provider.credentials.wooshpay).headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace' }),
    });
    const grace = (await fresh.json()) as Record<string, unknown> & { id: string };
    const createdEvent = stripeEvent('evt_created_1', 'customer.created', grace);
    const taken = await postStripe(upstream.id, createdEvent, signed(createdEvent));
    expect(taken.status).toBe(200);
    const body = (await taken.json()) as { outcome: string; customer: string };
    expect(body.outcome).toBe('applied');
    expect((await canonical(body.customer)).name).toBe('Grace');
    expect(await remoteOf(body.customer, upstream.id)).toBe(grace.id);

    // Tenant isolation: the other tenant's credentials do not see it.
    const other = await createTenant(store, loadConfig(env), 'inbound-other');
    const peek = await request(`/gateway/v1/customers/${body.customer}`, {
      headers: { authorization: `Bearer ${other.credentials.wooshpay!.secret_key}` },
    });
    expect(peek.status).toBe(404);
  });

  it('an event whose created is later than its signature, or before 1970, is refused; later events are taken in, not stale', {
    timeout: 60_000,
  }, async () => {
    // A tenant of its own: the first test's tenant has its proxy upstream already.
    const t = await createTenant(store, loadConfig(env), 'inbound-clocks');
    const upstream = await addUpstream(store, keyring(), t.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
      webhookSecret: stripeSecret,
    });
    const made = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Clocks' }, auth(t)));
    const id = ((await made.json()) as { id: string }).id;
    const remote = await remoteOf(id, upstream.id, t);
    const before = await canonical(id, t);
    const now = Math.floor(Date.now() / 1000);
    for (const [n, created] of [1e20, now + 3600, -1].entries()) {
      const payload = stripeEvent(
        `evt_clock_${n}`,
        'customer.updated',
        { ...(await atProvider('wooshpay', remote)), name: `Clock ${n}` },
        created,
      );
      const res = await postStripe(upstream.id, payload, signed(payload), '192.0.2.30');
      expect(res.status, String(created)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(await canonical(id, t)).toMatchObject({ name: 'Clocks', version: before.version });

    const edited = await atProvider('wooshpay', remote, { name: 'Clocks fixed' });
    const payload = stripeEvent('evt_clock_ok', 'customer.updated', edited);
    const res = await postStripe(upstream.id, payload, signed(payload), '192.0.2.30');
    expect(await res.json()).toMatchObject({ outcome: 'applied' });
    expect(await canonical(id, t)).toMatchObject({ name: 'Clocks fixed', version: before.version + 1 });
  });

  it('forged events count against the address like failed authentications: 429 past the limit', async () => {
    const payload = stripeEvent('evt_flood', 'customer.updated', { id: 'cus_x', object: 'customer' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await postStripe('ups_nobody', payload, 't=1,v1=00', '198.51.100.77')).status);
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(400));
    expect(statuses.slice(8)).toEqual([429, 429]);
    // Another address is not blocked.
    expect((await postStripe('ups_nobody', payload, 't=1,v1=00', '198.51.100.78')).status).toBe(400);
  });

  it('a Standard Webhooks event from a Meteroid mirror is recorded as drift beside the shadow comparisons, the local copy unchanged', {
    timeout: 60_000,
  }, async () => {
    const mirror = await addUpstream(store, keyring(), tenant.tenant.id, {
      dialect: 'meteroid',
      baseUrl: provider.baseUrl('meteroid'),
      mode: 'mirror',
      credentials: provider.credentials.meteroid,
      webhookSecret: meteroidSecret,
    });
    const created = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Linus', email: 'linus@example.com' }, auth()));
    const id = ((await created.json()) as { id: string }).id;
    await drainUntil(dispatcher, async () => (await remoteOf(id, mirror.id).catch(() => undefined)) !== undefined);
    const remote = await remoteOf(id, mirror.id);
    const before = await canonical(id);
    const object = { ...(await atProvider('meteroid', remote)), name: 'Linus (renamed at Meteroid)' };
    const payload = JSON.stringify({ type: 'customer.updated', timestamp: new Date().toISOString(), data: object });
    const msgId = 'msg_meteroid_1';
    const headers = new Webhook(meteroidSecret).sign(msgId, new Date(), payload);
    const send = (h: string) =>
      request(`/gateway/v1/upstreams/${mirror.id}/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': h,
        },
        body: payload,
      });
    const res = await send(headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'drift', customer: before.ids.uuid });
    expect(await canonical(id)).toMatchObject({ name: 'Linus', version: before.version });
    const shadow = (await (await request('/gateway/v1/shadow', { headers: auth() })).json()) as {
      dialects: { dialect: string; fields: { field: string; samples: { upstream: unknown; upstream_version: string | null }[] }[] }[];
    };
    const meteroid = shadow.dialects.find((d) => d.dialect === 'meteroid');
    const name = meteroid?.fields.find((f) => f.field === 'name');
    expect(name?.samples).toContainEqual(expect.objectContaining({ upstream: 'Linus (renamed at Meteroid)', upstream_version: msgId }));
    // A signature by another secret is refused.
    const wrong = new Webhook(`whsec_${Buffer.from('another-secret-entirely-here!!').toString('base64')}`).sign(msgId, new Date(), payload);
    expect((await send(wrong)).status).toBe(400);
  });

  /** A tenant of its own with a Wooshpay upstream that signs its webhooks with `stripeSecret`. */
  const wooshpayTenant = async (name: string, mode: 'proxy' | 'mirror') => {
    const t = await createTenant(store, loadConfig(env), name);
    const upstream = await addUpstream(store, keyring(), t.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode,
      credentials: provider.credentials.wooshpay,
      webhookSecret: stripeSecret,
    });
    return { t, upstream };
  };

  it('a signed customer.deleted from the proxy upstream deletes the local copy; a forged, replayed or stale one changes nothing', {
    timeout: 60_000,
  }, async () => {
    const { t, upstream } = await wooshpayTenant('inbound-deletes', 'proxy');
    const make = async (name: string) => {
      const res = await request('/wooshpay/v1/customers', jsonInit('POST', { name }, auth(t)));
      expect(res.status).toBe(200);
      const id = ((await res.json()) as { id: string }).id;
      return { id, remote: await remoteOf(id, upstream.id, t) };
    };
    const retrieve = async (id: string) => (await request(`/wooshpay/v1/customers/${id}`, { headers: auth(t) })).json();
    const gone = await make('Deleted at the provider');
    const kept = await make('Kept');
    // Deleted in the provider's dashboard: Stripe's event carries the whole customer as it was.
    const asItWas = await atProvider('wooshpay', gone.remote);
    const del = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers/${gone.remote}`, {
      method: 'DELETE',
      headers: dialects.wooshpay.client.retrieve(gone.remote, provider.credentials.wooshpay).headers,
    });
    expect(del.status).toBe(200);

    // Forged first: tampered to name the customer that stays, or signed by another secret.
    const forgedPayload = stripeEvent('evt_del_forged', 'customer.deleted', { ...asItWas, id: kept.remote });
    for (const sig of [signed(stripeEvent('evt_del_forged', 'customer.deleted', asItWas)), signed(forgedPayload, 'whsec_not_the_one')]) {
      expect((await postStripe(upstream.id, forgedPayload, sig, '192.0.2.30')).status).toBe(400);
    }
    // Older than the customer's last local write (sent to the provider first): stale.
    const older = stripeEvent('evt_del_old', 'customer.deleted', asItWas, Math.floor(Date.now() / 1000) - 600);
    expect(await (await postStripe(upstream.id, older, signed(older))).json()).toMatchObject({ outcome: 'stale' });
    expect(await retrieve(gone.id)).toMatchObject({ id: gone.id, name: 'Deleted at the provider' });

    const payload = stripeEvent('evt_del_1', 'customer.deleted', asItWas);
    const res = await postStripe(upstream.id, payload, signed(payload));
    expect(res.status).toBe(200);
    const taken = (await res.json()) as { outcome: string; customer: string };
    expect(taken.outcome).toBe('applied');
    // As the provider answers a retrieve of a deleted customer, and left out of the list.
    expect(await retrieve(gone.id)).toEqual({ id: gone.id, object: 'customer', deleted: true });
    const list = (await (await request('/wooshpay/v1/customers?limit=100', { headers: auth(t) })).json()) as { data: { id: string }[] };
    expect(list.data.map((c) => c.id)).toEqual([kept.id]);
    expect(await retrieve(kept.id)).toMatchObject({ id: kept.id, name: 'Kept' });
    const history = (await (await request(`/gateway/v1/customers/${taken.customer}/events`, { headers: auth(t) })).json()) as {
      data: { action: string }[];
    };
    expect(history.data.map((e) => e.action)).toEqual(['create', 'delete']);

    // Replayed, or the same delete again under a new id: acknowledged, nothing more is written.
    expect(await (await postStripe(upstream.id, payload, signed(payload))).json()).toMatchObject({ outcome: 'duplicate' });
    const again = stripeEvent('evt_del_2', 'customer.deleted', asItWas);
    expect(await (await postStripe(upstream.id, again, signed(again))).json()).toMatchObject({ outcome: 'ignored' });
    const after = (await (await request(`/gateway/v1/customers/${taken.customer}/events`, { headers: auth(t) })).json()) as {
      data: unknown[];
    };
    expect(after.data).toHaveLength(2);
  });

  it('a signed customer.deleted from a mirror upstream is recorded as drift; the local copy stays', { timeout: 60_000 }, async () => {
    const { t, upstream: mirror } = await wooshpayTenant('inbound-mirror-deletes', 'mirror');
    const created = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Mirrored' }, auth(t)));
    const id = ((await created.json()) as { id: string }).id;
    await drainUntil(dispatcher, async () => (await remoteOf(id, mirror.id, t).catch(() => undefined)) !== undefined);
    const remote = await remoteOf(id, mirror.id, t);
    const before = await canonical(id, t);
    const payload = stripeEvent('evt_mirror_del_1', 'customer.deleted', await atProvider('wooshpay', remote));
    const res = await postStripe(mirror.id, payload, signed(payload));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'drift', customer: before.ids.uuid });
    expect(await canonical(id, t)).toMatchObject({ name: 'Mirrored', version: before.version });
    const shadow = (await (await request('/gateway/v1/shadow', { headers: auth(t) })).json()) as {
      dialects: {
        dialect: string;
        fields: { field: string; samples: { local: unknown; upstream: unknown; upstream_version: string | null }[] }[];
      }[];
    };
    const field = shadow.dialects.find((d) => d.dialect === 'wooshpay')?.fields.find((f) => f.field === 'deleted');
    expect(field?.samples).toEqual([expect.objectContaining({ local: false, upstream: true, upstream_version: 'evt_mirror_del_1' })]);
  });
});
