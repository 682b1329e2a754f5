import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { dialects, fixturesOf, registry } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { Webhooks } from '../src/webhooks/index.ts';
import { drainSettled, drainUntil } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addEndpoint, createCustomer, receiver, setup, stripe, stripeEventOf, update } from './support/webhook-setup.ts';

// Webhooks through the real HTTP surface, delivered to a real local receiver, and verified by the
// libraries users run: the official `stripe` package and `standardwebhooks`.

describe('the per-tenant endpoint lookup', () => {
  it('is skipped for a tenant found without endpoints; an endpoint added here counts at the next write, one added by another process after the TTL', async () => {
    // The TTL runs on the gateway's clock, moved on by hand: a loaded machine cannot make it pass early.
    const frozen = Date.now();
    let clock = () => new Date(frozen);
    const s = await setup({}, { noEndpointsTtlMs: 1000, now: () => clock() });
    const lookups = vi.spyOn(s.webhooks.repo, 'endpoints');
    const { id } = await createCustomer(s);
    await update(s, id, { name: 'Two' });
    await update(s, id, { name: 'Three' });
    expect(lookups).toHaveBeenCalledTimes(1);
    clock = () => new Date();

    const r = await receiver();
    const made = await addEndpoint(s, { url: r.url, enabled_events: ['customer.updated'] });
    await update(s, id, { name: 'Four' });
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 1);
    expect(r.received.map((x) => stripeEventOf(x, made.secret).data.object)).toEqual([expect.objectContaining({ name: 'Four' })]);

    // Another process sharing the database (here a second instance) adds the other tenant's endpoint.
    const otherId = (await createCustomer({ ...s, auth: () => s.auth(s.other) })).id;
    const elsewhere = new Webhooks(s.store, keyringFor(loadConfig(testEnv), s.store.upstreams), Object.values(dialects), {
      ...loadConfig(testEnv).webhooks,
      kickAfterWrite: false,
    });
    const r2 = await receiver();
    const theirs = await elsewhere.add(s.other.tenant.id, { url: r2.url });
    clock = () => new Date(Date.now() + 1001);
    await update({ ...s, auth: () => s.auth(s.other) }, otherId, { name: 'Seen' });
    await drainUntil(s.webhooks.dispatcher, () => r2.received.length >= 1);
    expect(r2.received.map((x) => stripeEventOf(x, theirs.secret).data.object)).toEqual([expect.objectContaining({ name: 'Seen' })]);
  });

  it('when the belief ends, the writes in flight share one read of the endpoints, not one each', async () => {
    const frozen = Date.now();
    let clock = () => new Date(frozen);
    const s = await setup({}, { noEndpointsTtlMs: 1000, now: () => clock() });
    // Each read answers 300 ms late, as on a loaded database, so every write below is in flight during it.
    const read = s.webhooks.repo.endpoints.bind(s.webhooks.repo);
    const lookups = vi.spyOn(s.webhooks.repo, 'endpoints').mockImplementation(async (...args) => {
      const rows = await read(...args);
      await new Promise((r) => setTimeout(r, 300));
      return rows;
    });
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push((await createCustomer(s)).id);
    expect(lookups).toHaveBeenCalledTimes(1);
    clock = () => new Date(frozen + 1001);
    await Promise.all(ids.map((id, i) => update(s, id, { name: `Concurrent ${i}` })));
    // Before, each of the 16 writes read the table (85 of 460 updates at 32 connections on PostgreSQL).
    expect(lookups).toHaveBeenCalledTimes(2);

    // An endpoint added here counts at the next writes, however their endpoint reads were shared.
    clock = () => new Date(Date.now() + 1001);
    const r = await receiver();
    const made = await addEndpoint(s, { url: r.url, enabled_events: ['customer.updated'] });
    await Promise.all(ids.slice(0, 4).map((id, i) => update(s, id, { name: `After ${i}` })));
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 4);
    const names = r.received.map((x) => (stripeEventOf(x, made.secret).data.object as { name: string }).name);
    expect(names.sort()).toEqual(['After 0', 'After 1', 'After 2', 'After 3']);
  });
});

describe('webhook endpoints', () => {
  it('are made, listed, read and removed per tenant; the secret is shown once; bad input is a 400', async () => {
    const s = await setup();
    const made = await addEndpoint(s, { url: 'https://example.com/hooks', enabled_events: ['customer.updated'] });
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(made).toMatchObject({ format: 'stripe', dialect: 'wooshpay', enabled_events: ['customer.updated'], status: 'enabled' });

    const list = (await (await s.request('/gateway/v1/webhook_endpoints', { headers: s.auth() })).json()) as { data: object[] };
    expect(list.data).toHaveLength(1);
    expect(JSON.stringify(list.data)).not.toContain('whsec_');
    // Stored sealed, never as the secret itself.
    expect(JSON.stringify(await s.webhooks.repo.endpoints(s.tenant.tenant.id))).not.toContain(made.secret);

    // Another tenant sees nothing and can remove nothing.
    const theirs = (await (await s.request('/gateway/v1/webhook_endpoints', { headers: s.auth(s.other) })).json()) as { data: object[] };
    expect(theirs.data).toEqual([]);
    expect((await s.request(`/gateway/v1/webhook_endpoints/${made.id}`, { method: 'DELETE', headers: s.auth(s.other) })).status).toBe(404);

    for (const [body, field] of [
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{ url: 'https://user:pw@example.com/x' }, 'url'],
      [{ url: 'https://example.com', format: 'soap' }, 'format'],
      [{ url: 'https://example.com', format: 'standard', dialect: 'nope' }, 'dialect'],
      [{ url: 'https://example.com', enabled_events: ['charge.succeeded'] }, 'enabled_events'],
    ] as const) {
      const res = await s.request('/gateway/v1/webhook_endpoints', jsonInit('POST', body, s.auth()));
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { code: string; issues: { path: string[] }[] } }).error;
      expect(error.code).toBe('invalid_request');
      expect(error.issues[0]?.path).toEqual([field]);
    }
    expect((await s.request('/gateway/v1/webhook_endpoints', jsonInit('POST', { url: 'https://x.example' }, {}))).status).toBe(401);

    const removed = await s.request(`/gateway/v1/webhook_endpoints/${made.id}`, { method: 'DELETE', headers: s.auth() });
    expect(await removed.json()).toEqual({ id: made.id, object: 'webhook_endpoint', deleted: true });
    expect((await s.request(`/gateway/v1/webhook_endpoints/${made.id}`, { headers: s.auth() })).status).toBe(404);
  });

  it("Stripe's resource refuses an event type that is not a string with a 400 in Stripe's envelope, not a 500", async () => {
    const s = await setup();
    // A form body's brackets make an object of the item (`enabled_events[0][x]=1`), as a JSON body can.
    const form = new URLSearchParams({ url: 'https://example.com/hooks', 'enabled_events[0][x]': '1' });
    for (const init of [
      { method: 'POST', headers: s.auth(), body: form },
      jsonInit('POST', { url: 'https://example.com/hooks', enabled_events: [{ x: '1' }] }, s.auth()),
    ]) {
      const res = await s.request('/v1/webhook_endpoints', init);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'enabled_events' } });
    }
    expect(await s.webhooks.repo.endpoints(s.tenant.tenant.id)).toEqual([]);
  });
});

describe('webhook deliveries', () => {
  it('a Stripe event per write, signed so stripe.webhooks.constructEvent accepts it and rejects tampering or age', async () => {
    const s = await setup();
    const r = await receiver();
    const endpoint = await addEndpoint(s, { url: r.url });
    const customer = await createCustomer(s, { name: 'Jenny Rosen', phone: '+15555550100' });
    await update(s, customer.id, { name: 'Jenny R.', metadata: { plan: 'gold' } });
    const report = await drainSettled(s.webhooks.dispatcher, 2);
    expect(report).toMatchObject({ delivered: 2, dead: 0 });
    expect(r.received).toHaveLength(2);

    const [created, updated] = r.received.map((x) => stripeEventOf(x, endpoint.secret));
    expect(created).toMatchObject({ object: 'event', type: 'customer.created', livemode: false, data: { object: { id: customer.id } } });
    expect(updated?.type).toBe('customer.updated');
    expect(updated?.id).toMatch(/^evt_/);
    expect(updated?.data.object).toMatchObject({ object: 'customer', id: customer.id, name: 'Jenny R.', metadata: { plan: 'gold' } });
    expect(updated?.data.previous_attributes).toEqual({ name: 'Jenny Rosen', metadata: {} });
    expect(updated?.request?.idempotency_key).toMatch(/^k-/);
    expect(updated?.request?.id).toEqual(expect.any(String));

    const one = r.received[1]!;
    expect(() =>
      stripe.webhooks.constructEvent(one.body.replace('Jenny R.', 'Mallory'), one.headers['stripe-signature']!, endpoint.secret),
    ).toThrow(/signature/i);
    expect(() => stripe.webhooks.constructEvent(one.body, one.headers['stripe-signature']!, 'whsec_wrong')).toThrow();
    // Verified 10 minutes later with the default 5-minute tolerance: refused as a replay.
    const t = Number(/t=(\d+)/.exec(one.headers['stripe-signature']!)?.[1]);
    expect(() =>
      stripe.webhooks.constructEvent(one.body, one.headers['stripe-signature']!, endpoint.secret, 300, undefined, (t + 600) * 1000),
    ).toThrow(/tolerance/i);

    // Each event once: a second drain sends nothing.
    expect(await s.webhooks.dispatcher.drain()).toMatchObject({ delivered: 0 });
  });

  it('an event after a retention purge of the history carries every field; a queued older event is the customer as of its version', async () => {
    const s = await setup();
    const r = await receiver();
    const endpoint = await addEndpoint(s, { url: r.url, enabled_events: ['customer.updated'] });
    const customer = await createCustomer(s, { name: 'Jenny Rosen', email: 'jenny@example.com', phone: '+15555550100' });
    await update(s, customer.id, { name: 'Jenny R.', metadata: { plan: 'gold', seats: '3' } });
    await drainSettled(s.webhooks.dispatcher, 2);
    r.received.length = 0;
    // The retention sweep (CUSTGATE_EVENT_RETENTION_DAYS) drops versions 1 and 2 from the history.
    expect(await s.store.purgeEventsBefore(new Date(Date.now() + 60_000).toISOString())).toBe(2);

    await update(s, customer.id, { email: 'jr@example.com', metadata: { seats: '' } });
    await update(s, customer.id, { name: 'J. Rosen' });
    expect(await drainSettled(s.webhooks.dispatcher, 2)).toMatchObject({ delivered: 2, dead: 0 });
    const [third, fourth] = r.received.map((x) => stripeEventOf(x, endpoint.secret));
    const kept = { object: 'customer', id: customer.id, phone: '+15555550100', email: 'jr@example.com', metadata: { plan: 'gold' } };
    // Sent after version 4 was written, version 3's event still shows the name it had then.
    expect(third?.data.object).toMatchObject({ ...kept, name: 'Jenny R.' });
    expect(fourth?.data.object).toMatchObject({ ...kept, name: 'J. Rosen' });
    expect(fourth?.data.previous_attributes).toEqual({ name: 'Jenny R.' });
  });

  it('a change through any dialect: exactly one event per endpoint, each in its format and dialect', async () => {
    const s = await setup();
    const r = await receiver();
    const targets = [
      { ...(await addEndpoint(s, { url: `${r.url}/stripe` })), path: '/hooks/stripe' },
      { ...(await addEndpoint(s, { url: `${r.url}/meteroid`, format: 'standard' })), path: '/hooks/meteroid' },
      { ...(await addEndpoint(s, { url: `${r.url}/zenskar`, format: 'standard', dialect: 'zenskar' })), path: '/hooks/zenskar' },
      // Every dialect's shape in some endpoint: the other Stripe-like one, and Bigcapital's in Standard Webhooks.
      { ...(await addEndpoint(s, { url: `${r.url}/connhex`, dialect: 'connhex' })), path: '/hooks/connhex' },
      { ...(await addEndpoint(s, { url: `${r.url}/bigcapital`, format: 'standard', dialect: 'bigcapital' })), path: '/hooks/bigcapital' },
      { ...(await addEndpoint(s, { url: `${r.url}/created`, enabled_events: ['customer.created'] })), path: '/hooks/created' },
    ];
    const customer = await createCustomer(s);
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= targets.length);
    expect(r.received.map((x) => x.path).sort()).toEqual(targets.map((t) => t.path).sort());
    const canonical = (await (await s.request(`/gateway/v1/customers/${customer.id}`, { headers: s.auth() })).json()) as {
      ids: { uuid: string; public_id: string; number: number };
    };
    for (const [name, entry] of Object.entries(registry)) {
      r.received.length = 0;
      const f = fixturesOf(entry.dialect);
      const res = await s.request(
        `${entry.dialect.routes.prefix}${entry.dialect.routes.collection}/${f.ref(canonical.ids)}`,
        jsonInit(entry.dialect.routes.update, f.setName(`Via ${name}`), f.auth(s.tenant.credentials[name]!)),
      );
      expect(res.status, name).toBe(200);
      await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 5);
      expect(r.received.map((x) => x.path).sort(), name).toEqual([
        '/hooks/bigcapital',
        '/hooks/connhex',
        '/hooks/meteroid',
        '/hooks/stripe',
        '/hooks/zenskar',
      ]);
      for (const got of r.received) {
        const target = targets.find((t) => t.path === got.path)!;
        if (target.format === 'stripe') {
          const event = stripeEventOf(got, target.secret);
          expect(event.type).toBe('customer.updated');
          const shown = fixturesOf(dialects[target.dialect as keyof typeof dialects]).name(
            event.data.object as unknown as Record<string, unknown>,
          );
          expect(shown, `${name} -> ${target.dialect}`).toBe(`Via ${name}`);
          expect(event.data.previous_attributes, `${name} -> ${target.dialect}`).toBeDefined();
        } else {
          const payload = new Webhook(target.secret).verify(got.body, got.headers) as { type: string; data: Record<string, unknown> };
          expect(payload.type).toBe('customer.updated');
          expect(got.headers['webhook-id']).toMatch(/^evt_/);
          const shown = fixturesOf(dialects[target.dialect as keyof typeof dialects]).name(payload.data);
          expect(shown, `${name} -> ${target.dialect}`).toBe(`Via ${name}`);
        }
      }
    }
  });

  it('an endpoint that is down gets everything in order, with the same event ids, when it returns', async () => {
    const s = await setup();
    const r = await receiver();
    const endpoint = await addEndpoint(s, { url: r.url });
    const customer = await createCustomer(s);
    r.status = 503;
    for (let i = 1; i <= 4; i++) await update(s, customer.id, { name: `Name ${i}` });
    const first = await s.webhooks.dispatcher.drain();
    expect(first.delivered).toBe(0);
    expect(first.retried).toBeGreaterThanOrEqual(1);
    r.status = 200;
    const deadline = Date.now() + 10_000;
    while (r.received.length < 5 && Date.now() < deadline) {
      await s.webhooks.dispatcher.drain();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const events = r.received.map((x) => stripeEventOf(x, endpoint.secret));
    expect(events.map((e) => (e.data.object as { name: string }).name)).toEqual(['Jenny Rosen', 'Name 1', 'Name 2', 'Name 3', 'Name 4']);
    expect(new Set(events.map((e) => e.id)).size).toBe(5);

    const attempts = (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/attempts`, { headers: s.auth() })).json()) as {
      data: { event: string; status: number; error: string | null }[];
    };
    // Only the earliest undelivered version of the customer was tried while it failed: order is kept.
    const failed = attempts.data.filter((a) => a.status === 503);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(new Set(failed.map((a) => a.event))).toEqual(new Set([events[0]?.id]));
    expect(attempts.data.filter((a) => a.status === 200)).toHaveLength(5);
  });

  it('after repeated failure an endpoint is disabled (log line), and resend sends an event again with its id', async () => {
    const s = await setup({ CUSTGATE_WEBHOOK_RETRY_HOURS: '0', CUSTGATE_WEBHOOK_DISABLE_AFTER: '2' });
    const r = await receiver();
    const endpoint = await addEndpoint(s, { url: r.url });
    r.status = 500;
    const customer = await createCustomer(s);
    await update(s, customer.id, { name: 'Two' });
    expect(await s.webhooks.dispatcher.drain()).toMatchObject({ dead: 2 });
    const shown = (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}`, { headers: s.auth() })).json()) as {
      status: string;
    };
    expect(shown.status).toBe('disabled');
    expect(s.logged.map((l) => l.event)).toContain('webhook_endpoint_disabled');

    r.status = 200;
    // Disabled: it is sent nothing (as at Stripe) until it is enabled again.
    await update(s, customer.id, { name: 'Three' });
    expect(await s.webhooks.dispatcher.drain()).toMatchObject({ delivered: 0 });
    expect((await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/enable`, { method: 'POST', headers: s.auth() })).status).toBe(
      200,
    );
    await update(s, customer.id, { name: 'Four' });
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 1);
    expect(r.received.map((x) => (stripeEventOf(x, endpoint.secret).data.object as { name: string }).name)).toEqual(['Four']);

    const events = (await (await s.request('/v1/events?delivery_success=false', { headers: s.auth() })).json()) as {
      data: { id: string }[];
    };
    expect(events.data).toHaveLength(2);
    const resend = await s.request(`/gateway/v1/events/${events.data[0]!.id}/resend`, { method: 'POST', headers: s.auth() });
    expect(resend.status).toBe(200);
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 2);
    expect(stripeEventOf(r.received[1]!, endpoint.secret).id).toBe(events.data[0]!.id);
    expect((await s.request('/gateway/v1/events/evt_nope/resend', { method: 'POST', headers: s.auth() })).status).toBe(404);
  });

  it("a reset starts an endpoint's count of given-up deliveries again: the next failure alone does not disable it", async () => {
    const s = await setup({ CUSTGATE_WEBHOOK_RETRY_HOURS: '0', CUSTGATE_WEBHOOK_DISABLE_AFTER: '2' });
    const r = await receiver();
    const endpoint = await addEndpoint(s, { url: r.url });
    const shown = async () =>
      (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}`, { headers: s.auth() })).json()) as {
        status: string;
        failures: number;
      };
    r.status = 500;
    await createCustomer(s);
    expect(await s.webhooks.dispatcher.drain()).toMatchObject({ dead: 1 });
    expect(await shown()).toMatchObject({ status: 'enabled', failures: 1 });

    expect((await s.request('/gateway/v1/reset', { method: 'POST', headers: s.auth() })).status).toBe(200);
    // The given-up delivery and its attempts went with the reset; so does what they counted.
    expect(await shown()).toMatchObject({ status: 'enabled', failures: 0 });
    await createCustomer(s);
    expect(await s.webhooks.dispatcher.drain()).toMatchObject({ dead: 1 });
    expect(await shown()).toMatchObject({ status: 'enabled', failures: 1 });
  });

  it("resend to one endpoint (the console's Resend on its log) sends the event there only; without one, to each", async () => {
    const s = await setup();
    const [a, b] = [await receiver(), await receiver()];
    const [ea, eb] = [await addEndpoint(s, { url: a.url }), await addEndpoint(s, { url: b.url })];
    await createCustomer(s);
    await drainUntil(s.webhooks.dispatcher, () => a.received.length >= 1 && b.received.length >= 1);
    const event = stripeEventOf(a.received[0]!, ea.secret).id;
    const resend = (body?: unknown) =>
      s.request(
        `/gateway/v1/events/${event}/resend`,
        body === undefined ? { method: 'POST', headers: s.auth() } : jsonInit('POST', body, s.auth()),
      );

    const one = await resend({ endpoint: ea.id });
    expect(await one.json()).toEqual({ id: event, object: 'event', resent: 1 });
    // Nothing is left to send once A has it again: B's delivery was not put back in line.
    await drainUntil(s.webhooks.dispatcher, async () => a.received.length >= 2 && (await s.webhooks.repo.pendingCount()) === 0);
    expect([a.received.length, b.received.length]).toEqual([2, 1]);

    expect((await resend({ endpoint: 'we_nope' })).status).toBe(404);
    expect((await resend({ endpoint: 42 })).status).toBe(400);
    expect(await (await resend()).json()).toEqual({ id: event, object: 'event', resent: 2 });
    await drainUntil(s.webhooks.dispatcher, () => a.received.length >= 3 && b.received.length >= 2);
    expect(stripeEventOf(b.received[1]!, eb.secret).id).toBe(event);
  });

  it('a rolled secret: old and new both verify during the overlap', async () => {
    const s = await setup();
    const r = await receiver();
    const endpoint = await addEndpoint(s, { url: r.url, format: 'standard' });
    const res = await s.request(
      `/gateway/v1/webhook_endpoints/${endpoint.id}/roll_secret`,
      jsonInit('POST', { expires_in_seconds: 3600 }, s.auth()),
    );
    const rolled = (await res.json()) as { secret: string };
    expect(rolled.secret).not.toBe(endpoint.secret);
    await createCustomer(s);
    await s.webhooks.dispatcher.drain();
    const got = r.received[0]!;
    expect(new Webhook(rolled.secret).verify(got.body, got.headers)).toMatchObject({ type: 'customer.created' });
    expect(new Webhook(endpoint.secret).verify(got.body, got.headers)).toMatchObject({ type: 'customer.created' });
    expect(() => new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(got.body, got.headers)).toThrow();
  });

  it('no event for a write that did not commit; a tenant without endpoints records none', async () => {
    const s = await setup();
    const r = await receiver();
    await addEndpoint(s, { url: r.url });
    const refused = await s.request('/wooshpay/v1/customers', jsonInit('POST', { email: 'not an email' }, s.auth()));
    expect(refused.status).toBe(400);
    const otherRes = await s.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Theirs' }, s.auth(s.other)));
    expect(otherRes.status).toBe(200);
    expect(await s.webhooks.dispatcher.drain()).toMatchObject({ delivered: 0, retried: 0, dead: 0 });
    expect(r.received).toEqual([]);
  });
});
