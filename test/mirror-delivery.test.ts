import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { type CreatedTenant, createTenant, addUpstream } from './support/registered.ts';
import { parseDeliveryId } from '../src/outbox/views.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainSettled } from './support/drain-until.ts';
import { jsonInit, probeAuth } from './support/gateway.ts';
import { canonicalOn } from './support/pairs.ts';
import { runCli } from './support/processes.ts';
import { type Provider, type ReplicatingGateway, replicatingGateway, startProvider, switchableProxy } from './support/upstream.ts';

// A delivery the provider refuses for good does not stop the customer's mirror: the next version
// carries the current values of every field the upstream has not been given (the dead version's
// included) and is delivered; the dead one stays counted and listed until an operator retries or
// drops it. A second custgate process plays a Zenskar provider that refuses one version (its
// external_id is already another customer's there) and accepts the next; in front of it, a stricter
// provider's field refusal (a 400 or 422 naming the field in its own envelope) does the same.

interface Delivery {
  version: number;
  state: string;
  last_error: string | null;
}

describe('mirror and shadow deliveries against a second custgate', () => {
  let provider: Provider;
  let local: ReplicatingGateway;
  let tenant: CreatedTenant;
  const zenskar = dialects.zenskar;
  const providerAuth = () => fixturesOf(zenskar).auth(provider.credentials.zenskar);
  const localAuth = () => fixturesOf(zenskar).auth(tenant.credentials.zenskar!);
  const gatewayAuth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` });

  beforeAll(async () => {
    provider = await startProvider();
    local = await replicatingGateway();
    tenant = await createTenant(local.store, local.config, 'dead-letters');
    await addUpstream(local.store, keyringFor(local.config, local.store.upstreams), tenant.tenant.id, {
      dialect: 'zenskar',
      baseUrl: provider.baseUrl('zenskar'),
      mode: 'mirror',
      credentials: provider.credentials.zenskar,
    });
  });
  afterAll(async () => {
    await local?.store.executor.close();
    await provider?.process.stop();
  });

  /** A tenant of its own whose one upstream is the provider's `dialect`, in `mode`. */
  const withUpstream = async (name: string, dialect: DialectName, mode: 'mirror' | 'shadow') => {
    const made = await createTenant(local.store, local.config, name);
    await addUpstream(local.store, keyringFor(local.config, local.store.upstreams), made.tenant.id, {
      dialect,
      baseUrl: provider.baseUrl(dialect),
      mode,
      credentials: provider.credentials[dialect],
    });
    return made;
  };
  const write = (method: 'POST' | 'PATCH', path: string, body: unknown) =>
    local.request(`/zenskar/customers${path}`, jsonInit(method, body, localAuth()));
  const deliveries = async (id: string) => {
    const res = await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: gatewayAuth() });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: Delivery[] }).data.map((d) => [d.version, d.state]);
  };
  const atProvider = async (id: string) => {
    const links = await local.request(`/gateway/v1/customers/${id}/links`, { headers: gatewayAuth() });
    const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
    const res = await fetch(`${provider.baseUrl('zenskar')}/customers/${link!.remote_id}`, { headers: providerAuth() });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  const health = async () =>
    ((await (await local.request('/gateway/v1/health', { headers: probeAuth })).json()) as { outbox: { pending: number; dead: number } })
      .outbox;

  it('the provider refuses version 2, version 3 carries its fields and is delivered; the dead one stays visible', {
    timeout: 60_000,
  }, async () => {
    // Another customer at the provider already holds this external_id: a 409 there, for good.
    const taken = await fetch(
      `${provider.baseUrl('zenskar')}/customers`,
      jsonInit('POST', { customer_name: 'Owner', external_id: 'taken-at-provider' }, providerAuth()),
    );
    expect(taken.status).toBe(zenskar.wire.createdStatus);

    const created = await write('POST', '', { customer_name: 'Dead Letter Co', external_id: 'dlc-1' });
    expect(created.status).toBe(zenskar.wire.createdStatus);
    const { id } = (await created.json()) as { id: string };
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });

    const refused = await write('PATCH', `/${id}`, {
      external_id: 'taken-at-provider',
      email: 'billing@dlc.example',
      phone_number: '+4755501234',
    });
    expect(refused.status).toBe(200);
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 0, dead: 1 });
    expect(await deliveries(id)).toEqual([
      [1, 'delivered'],
      [2, 'dead'],
    ]);
    expect(await atProvider(id)).toMatchObject({ external_id: 'dlc-1', email: null });
    const dead = (await (await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: gatewayAuth() })).json()) as {
      data: (Delivery & { last_error: string | null })[];
    };
    expect(dead.data.find((d) => d.version === 2)?.last_error).toContain('[the provider refused: external_id]');

    const accepted = await write('PATCH', `/${id}`, { external_id: 'dlc-2' });
    expect(accepted.status).toBe(200);
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    expect(await deliveries(id)).toEqual([
      [1, 'delivered'],
      [2, 'dead'],
      [3, 'delivered'],
    ]);
    // The provider holds the local customer: version 2's email and phone arrived with version 3.
    expect(await atProvider(id)).toMatchObject({
      customer_name: 'Dead Letter Co',
      external_id: 'dlc-2',
      email: 'billing@dlc.example',
      phone_number: '+4755501234',
    });

    // Still dead, and seen as such by the probe and the operator's CLI.
    expect(await health()).toMatchObject({ dead: 1 });
    const listed = JSON.parse(await runCli(['outbox', 'list', '--tenant', tenant.tenant.id, '--json'], local.env)) as {
      counts: { dead: number };
      data: { id: string; state: string; last_error: string | null }[];
    };
    expect(listed.counts.dead).toBe(1);
    expect(listed.data).toHaveLength(1);
    // The dead row names the parameter the provider refused, from its error envelope.
    expect(listed.data[0]).toMatchObject({ state: 'dead', last_error: expect.stringContaining('[the provider refused: external_id]') });

    // Retried after version 3 was delivered: settled without sending the old state again.
    const key = parseDeliveryId(listed.data[0]!.id);
    expect(key).toBeDefined();
    expect(await local.store.outbox.retry([key!], new Date().toISOString())).toBe(1);
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    expect(await deliveries(id)).toEqual([
      [1, 'delivered'],
      [2, 'delivered'],
      [3, 'delivered'],
    ]);
    expect(await health()).toMatchObject({ dead: 0 });
    expect(await atProvider(id)).toMatchObject({ external_id: 'dlc-2', email: 'billing@dlc.example' });
  });
  // Providers validate emails more strictly than custgate: Zenskar's FastAPI (pydantic EmailStr)
  // refuses a special-use domain such as `.test` with a 422; Stripe answers `email_invalid`, a 400.
  const strict = {
    zenskar: {
      status: 422,
      body: {
        detail: [
          {
            loc: ['body', 'email'],
            msg: 'value is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be used with email.',
            type: 'value_error',
          },
        ],
      },
    },
    wooshpay: {
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'email_invalid', param: 'email', message: 'Invalid email address.' } },
    },
  } as const;
  it.each(Object.keys(strict) as (keyof typeof strict)[])(
    'a %s provider refuses a field (400/422): the dead row names it; the next version without the value is delivered',
    { timeout: 60_000 },
    async (dialect) => {
      const refusing = await switchableProxy(provider.base, {
        refuse: (body) => (body.includes('@refused.test') ? strict[dialect] : undefined),
      });
      try {
        const strictTenant = await createTenant(local.store, local.config, `field-refusal-${dialect}`);
        await addUpstream(local.store, keyringFor(local.config, local.store.upstreams), strictTenant.tenant.id, {
          dialect,
          baseUrl: `${refusing.url}${new URL(provider.baseUrl(dialect)).pathname}`,
          mode: 'mirror',
          credentials: provider.credentials[dialect],
        });
        const key = { authorization: `Bearer ${strictTenant.credentials.wooshpay!.secret_key}` };
        const post = (path: string, body: unknown) => local.request(`/wooshpay/v1/customers${path}`, jsonInit('POST', body, key));
        const rows = async (id: string) => {
          const res = await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: key });
          return ((await res.json()) as { data: Delivery[] }).data;
        };
        const created = await post('', { name: 'Strict Mail' });
        const { id } = (await created.json()) as { id: string };
        expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });

        expect((await post(`/${id}`, { email: 'billing@refused.test', phone: '+4755501234' })).status).toBe(200);
        expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 0, dead: 1 });
        const dead = (await rows(id)).find((d) => d.version === 2);
        expect(dead).toMatchObject({ state: 'dead', last_error: expect.stringContaining('[the provider refused: email]') });

        expect((await post(`/${id}`, { email: 'billing@accepted.example' })).status).toBe(200);
        expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
        expect((await rows(id)).map((d) => [d.version, d.state])).toEqual([
          [1, 'delivered'],
          [2, 'dead'],
          [3, 'delivered'],
        ]);
        // The provider holds the local customer: version 2's phone arrived with version 3.
        const links = await local.request(`/gateway/v1/customers/${id}/links`, { headers: key });
        const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
        const held = await canonicalOn(
          (path, init) => fetch(`${provider.base}${path}`, init),
          link!.remote_id,
          provider.credentials.wooshpay.secret_key!,
        );
        expect([held.email, held.phone]).toEqual(['billing@accepted.example', '+4755501234']);
      } finally {
        await refusing.close();
      }
    },
  );
  it('a shadow cannot refuse a clear Meteroid has no form for: left out of the request, recorded on the delivery and as a shadow mismatch', {
    timeout: 60_000,
  }, async () => {
    const shadowed = await withUpstream('shadow-uncarried', 'meteroid', 'shadow');
    const key = { authorization: `Bearer ${shadowed.credentials.wooshpay!.secret_key}` };
    const created = await local.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Keep Mail', email: 'keep@example.com' }, key));
    const { id } = (await created.json()) as { id: string };
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0, mismatched: 0 });
    // The local store is the system of record: the clear is acknowledged, whatever the provider can do.
    const cleared = await local.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { email: '', phone: '+4722334455' }, key));
    expect(cleared.status).toBe(200);
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0, mismatched: 1 });
    const listed = await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: key });
    const rows = ((await listed.json()) as { data: Delivery[] }).data;
    expect(rows.map((d) => [d.version, d.state])).toEqual([
      [1, 'delivered'],
      [2, 'delivered'],
    ]);
    expect(rows[1]!.last_error).toMatch(/not carried: email .*meteroid/);
    // The phone went; the email stays at the provider, and the comparison says so.
    const links = await local.request(`/gateway/v1/customers/${id}/links`, { headers: key });
    const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
    const held = await fetch(`${provider.baseUrl('meteroid')}/api/v1/customers/${link!.remote_id}`, {
      headers: fixturesOf(dialects.meteroid).auth(provider.credentials.meteroid),
    });
    expect(await held.json()).toMatchObject({ billing_email: 'keep@example.com', phone: '+4722334455' });
    const report = (await (await local.request('/gateway/v1/shadow', { headers: key })).json()) as {
      dialects: { dialect: string; fields: { field: string; samples: { local: unknown; upstream: unknown }[] }[] }[];
    };
    const email = report.dialects.find((d) => d.dialect === 'meteroid')?.fields.find((f) => f.field === 'email');
    expect(email?.samples[0]).toMatchObject({ local: null, upstream: 'keep@example.com' });
  });
  it('a change a Wooshpay mirror shows but takes no value for (tax_exempt) is named on the delivery, not delivered in silence', {
    timeout: 60_000,
  }, async () => {
    const mirrored = await withUpstream('mirror-shown-only', 'wooshpay', 'mirror');
    const connhexAuth = fixturesOf(dialects.connhex).auth(mirrored.credentials.connhex!);
    const created = await local.request('/connhex/customers', jsonInit('POST', { name: 'Exempt Co' }, connhexAuth));
    const { id } = (await created.json()) as { id: string };
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    const changed = await local.request(
      `/connhex/customers/${id}`,
      jsonInit('POST', { tax_exempt: 'exempt', phone: '+4722334455' }, connhexAuth),
    );
    expect(changed.status).toBe(200);
    expect(await drainSettled(local.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    const key = { authorization: `Bearer ${mirrored.credentials.wooshpay!.secret_key}` };
    const rows = ((await (await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: key })).json()) as { data: Delivery[] })
      .data;
    expect(rows.map((d) => [d.version, d.state])).toEqual([
      [1, 'delivered'],
      [2, 'delivered'],
    ]);
    expect(rows[1]!.last_error).toMatch(/not carried: tax_exempt .*wooshpay/);
  });

  it('a create a Wooshpay mirror cannot hold as the customer is (a Connhex tax_exempt) is delivered and names what it left', {
    timeout: 60_000,
  }, async () => {
    const mirrored = await withUpstream('mirror-create-notes', 'wooshpay', 'mirror');
    const key = { authorization: `Bearer ${mirrored.credentials.wooshpay!.secret_key}` };
    const connhexAuth = fixturesOf(dialects.connhex).auth(mirrored.credentials.connhex!);
    const created = async (path: string, body: unknown, auth: Record<string, string>) => {
      const res = await local.request(path, jsonInit('POST', body, auth));
      expect(res.status).toBeLessThan(300);
      return ((await res.json()) as { id: string }).id;
    };
    const exempt = await created('/connhex/customers', { name: 'Exempt Co', tax_exempt: 'exempt' }, connhexAuth);
    const plain = await created('/connhex/customers', { name: 'Plain Co' }, connhexAuth);
    expect(await drainSettled(local.dispatcher, 2)).toMatchObject({ delivered: 2, dead: 0 });
    const first = async (id: string) =>
      ((await (await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: key })).json()) as { data: Delivery[] }).data[0]!;
    expect(await first(exempt)).toMatchObject({
      version: 1,
      state: 'delivered',
      last_error: expect.stringMatching(/not carried: tax_exempt .*wooshpay/),
    });
    // A create the provider holds whole is delivered with no note.
    expect(await first(plain)).toMatchObject({ version: 1, state: 'delivered', last_error: null });
  });

  it('an upstream added with --encoding form is sent Stripe form bodies, which the provider takes; the default is JSON', {
    timeout: 60_000,
  }, async () => {
    const encoded = await createTenant(local.store, local.config, 'encodings');
    const added = JSON.parse(
      await runCli(
        [
          'upstream',
          'add',
          encoded.tenant.id,
          '--dialect',
          'wooshpay',
          '--base-url',
          provider.baseUrl('wooshpay'),
          '--mode',
          'mirror',
          '--encoding',
          'form',
          '--credentials',
          JSON.stringify(provider.credentials.wooshpay),
          '--json',
        ],
        local.env,
      ),
    ) as { id: string; encoding: string };
    expect(added.encoding).toBe('form');
    const keyring = keyringFor(local.config, local.store.upstreams);
    const json = await addUpstream(local.store, keyring, encoded.tenant.id, {
      dialect: 'connhex',
      baseUrl: provider.baseUrl('connhex'),
      mode: 'mirror',
      credentials: provider.credentials.connhex,
    });
    expect(json.encoding).toBe('json');
    // Only a dialect whose API takes Stripe's form can be given it.
    await expect(
      addUpstream(local.store, keyring, encoded.tenant.id, {
        dialect: 'zenskar',
        baseUrl: provider.baseUrl('zenskar'),
        mode: 'mirror',
        credentials: provider.credentials.zenskar,
        encoding: 'form',
      }),
    ).rejects.toThrow(/JSON bodies only/);
    const key = { authorization: `Bearer ${encoded.credentials.wooshpay!.secret_key}` };
    const shown = await local.request(`/gateway/v1/upstreams/${added.id}`, { headers: key });
    expect(await shown.json()).toMatchObject({ id: added.id, encoding: 'form' });

    const created = await local.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Form Co', metadata: { plan: 'gold' } }, key));
    const { id } = (await created.json()) as { id: string };
    const updated = await local.request(
      `/wooshpay/v1/customers/${id}`,
      jsonInit('POST', { email: 'form@example.com', address: { line1: '1 Main St', city: 'Oslo', country: 'NO' } }, key),
    );
    expect(updated.status).toBe(200);
    local.sent.length = 0;
    expect(await drainSettled(local.dispatcher, 4)).toMatchObject({ delivered: 4, dead: 0 });
    const types = (prefix: string) => [...new Set(local.sent.filter((r) => r.url.startsWith(prefix)).map((r) => r.contentType))];
    expect(types(provider.baseUrl('wooshpay'))).toEqual(['application/x-www-form-urlencoded']);
    expect(types(provider.baseUrl('connhex'))).toEqual(['application/json']);

    const links = await local.request(`/gateway/v1/customers/${id}/links`, { headers: key });
    const remote = ((await links.json()) as { data: { upstream_id: string; remote_id: string }[] }).data.find(
      (l) => l.upstream_id === added.id,
    );
    const held = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers/${remote!.remote_id}`, {
      headers: fixturesOf(dialects.wooshpay).auth(provider.credentials.wooshpay),
    });
    expect(await held.json()).toMatchObject({
      name: 'Form Co',
      email: 'form@example.com',
      metadata: { plan: 'gold' },
      address: { line1: '1 Main St', city: 'Oslo', country: 'NO' },
    });
  });
});
