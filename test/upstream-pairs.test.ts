import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf, type DialectName } from '../dialects/index.ts';
import { type CustomerFields, fieldDefaults } from '../schemas/index.ts';
import { applyPatch } from '../src/core/index.ts';
import type { GatewayError } from '../src/contract/errors.ts';
import { patchToDialect } from '../src/gateway/translate.ts';
import { resolveMerges, wholePatch } from '../src/upstream/client.ts';
import { asCarried } from '../src/upstream/fidelity.ts';
import { inClientTerms } from '../src/upstream/refusal.ts';
import { carried, fieldsOf, hiddenMembers } from './support/dialect-harness.ts';
import { canonicalOn, exampleCreate, filledByProvider, orderedPairs } from './support/pairs.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { type Provider, startProvider, tenantsPerUpstream } from './support/upstream.ts';
import type { CreatedTenant } from './support/registered.ts';

// Every ordered pair of (client dialect, upstream dialect): a client of one dialect on gateway A,
// whose tenant proxies to gateway B (a second custgate process) in another dialect. Each client
// creates and updates with its own realistic example bodies; B then holds the customer A holds,
// on every field B's dialect carries.

const pairs = orderedPairs;

let provider: Provider;
let gw: TestGateway;
/** Per upstream dialect, a tenant of A proxying to B in that dialect, and its credentials on A. */
let tenants: Map<DialectName, CreatedTenant>;

beforeAll(async () => {
  provider = await startProvider();
  gw = await testGateway();
  tenants = await tenantsPerUpstream(gw, provider, 'proxy');
});
afterAll(async () => {
  await provider?.process.stop();
});

const onB = (path: string, init?: RequestInit) => fetch(`${provider.base}${path}`, init);

describe.each(pairs)('proxy: %s client -> %s upstream', (_c, _u, client, upstream) => {
  it("create and update with the client's example bodies leave B holding the customer A holds", async () => {
    const tenant = tenants.get(upstream.name as DialectName)!;
    const auth = fixturesOf(client).auth(tenant.credentials[client.name as DialectName]!);
    const collection = `${client.routes.prefix}${client.routes.collection}`;
    const created = await gw.request(collection, jsonInit('POST', exampleCreate(client, upstream), auth));
    const createdBody = await created.json();
    expect(created.status, JSON.stringify(createdBody)).toBe(client.wire.createdStatus);
    const id = fixturesOf(client).idOf(createdBody);
    const aKey = tenant.credentials.wooshpay!.secret_key!;
    const beforeUpdate = await canonicalOn(gw.request, id, aKey);
    const updated = await gw.request(
      `${collection}/${encodeURIComponent(id)}`,
      jsonInit(client.routes.update, fixturesOf(client).update, auth),
    );
    const updatedBody = await updated.json();
    if (updated.status !== 200) {
      // A change the upstream's API cannot make is refused before anything is sent, in the
      // client's envelope, naming the upstream (docs/migrating.md): the local copy is unchanged.
      expect(updated.status, JSON.stringify(updatedBody)).toBeLessThan(500);
      expect(JSON.stringify(updatedBody)).toContain(`The ${upstream.name} upstream cannot carry`);
      expect(await canonicalOn(gw.request, id, aKey)).toEqual(beforeUpdate);
      return;
    }
    expect(v.safeParse(fixturesOf(client).response, updatedBody).issues).toBeUndefined();

    // What the client asked for, canonically.
    const createPatch = client.translation.createPatch(v.parse(client.wire.request.create, exampleCreate(client, upstream)));
    const updatePatch = client.translation.updatePatch(v.parse(client.wire.request.update, fixturesOf(client).update));
    const afterCreate = applyPatch(fieldDefaults, createPatch);
    const expected: CustomerFields = applyPatch(afterCreate, updatePatch);

    const a = await canonicalOn(gw.request, id, aKey);
    const links = (await (
      await gw.request(`/gateway/v1/customers/${a.ids.uuid}/links`, { headers: { authorization: `Bearer ${aKey}` } })
    ).json()) as {
      data: { remote_id: string }[];
    };
    expect(links.data).toHaveLength(1);
    const remoteId = links.data[0]!.remote_id;

    // B's stored customer (its canonical copy) against what the client asked for, on every field
    // B's dialect carries and the translations did not report lost.
    const b = fieldsOf(await canonicalOn(onB, remoteId, provider.credentials.wooshpay.secret_key!));
    const losses = [
      ...patchToDialect(upstream, wholePatch(afterCreate)).losses,
      ...patchToDialect(upstream, resolveMerges(upstream, updatePatch, afterCreate)).losses,
    ];
    const principal = { tenantId: 't', credentialId: 'x', livemode: false };
    const hidden = hiddenMembers(upstream, principal);
    const compared = upstream.client.reads.filter((f) => !(filledByProvider(upstream).includes(f) && expected[f] === fieldDefaults[f]));
    const pick = (c: Record<string, unknown>) => Object.fromEntries(compared.filter((f) => f in c).map((f) => [f, c[f]]));
    // Both as B carries them: a same-as-billing shipping address is B's shipping address equal to
    // the billing address where B has no such flag.
    const asB = (fields: CustomerFields) => carried(asCarried(upstream, fields), losses, hidden);
    expect(pick(asB(expected)), JSON.stringify(losses)).toEqual(pick(carried(b, losses, hidden)));
    // A's copy is what B holds, on those fields.
    expect(pick(asB(fieldsOf(a)))).toEqual(pick(carried(b, losses, hidden)));
    // The client read its own update back.
    expect(fixturesOf(client).name(updatedBody)).toBe(
      expected.name ?? (client.name === 'bigcapital' || client.name === 'meteroid' || client.name === 'zenskar' ? '' : null),
    );
  });
});

describe("refusals in the client's own terms", () => {
  it('a Zenskar 422 naming email reaches a Wooshpay client as a Stripe 400 invalid_request_error with param email', () => {
    const refusal = dialects.zenskar.client.parseError({
      status: 422,
      body: {
        detail: [{ loc: ['body', 'email'], msg: "value is not a valid email address: 'x' is not an email address.", type: 'value_error' }],
      },
    });
    const rendered = dialects.wooshpay.wire.renderError(inClientTerms(refusal, dialects.zenskar, dialects.wooshpay) as GatewayError);
    expect(rendered.status).toBe(400);
    expect(rendered.body).toMatchObject({ error: { type: 'invalid_request_error', param: 'email', code: 'email_invalid' } });
  });

  it("a Meteroid client proxied to Zenskar gets Zenskar's email refusal as a Meteroid 400 naming billing_email; nothing is stored", async () => {
    const tenant = tenants.get('zenskar')!;
    const auth = fixturesOf(dialects.meteroid).auth(tenant.credentials.meteroid!);
    const res = await gw.request(
      '/meteroid/api/v1/customers',
      jsonInit('POST', { name: 'Bad Email', currency: 'EUR', billing_email: 'not-an-email' }, auth),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.message).toContain('billing_email');
  });
});

describe('Idempotency-Key through a proxy', () => {
  it('is kept by A (a retry replays) and forwarded to an upstream that honours keys', async () => {
    const tenant = tenants.get('connhex')!;
    const auth = { ...fixturesOf(dialects.wooshpay).auth(tenant.credentials.wooshpay!), 'idempotency-key': 'proxy-key-1' };
    const first = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Idempotent' }, auth));
    expect(first.status).toBe(200);
    const again = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Idempotent' }, auth));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    // B saw the key: the same key with other parameters is B's idempotency error.
    const direct = await onB('/connhex/customers', {
      method: 'POST',
      headers: {
        ...fixturesOf(dialects.connhex).auth(provider.credentials.connhex),
        'content-type': 'application/json',
        'idempotency-key': 'proxy-key-1',
      },
      body: JSON.stringify({ name: 'Something Else' }),
    });
    expect(direct.status).toBe(400);
    expect(await direct.json()).toMatchObject({ error: { type: 'idempotency_error' } });
  });
});
