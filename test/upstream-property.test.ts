import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { type CustomerFields, type CustomerPatch, clear, type FieldName, fieldDefaults, set } from '../schemas/index.ts';
import { applyPatch, diffFields, emptyAddress } from '../src/core/index.ts';
import { validate } from '../src/contract/validate.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { isGatewayError } from '../src/contract/errors.ts';
import type { CreatedTenant } from './support/registered.ts';
import { emptyPaths, valueAt } from '../src/upstream/empty-text.ts';
import { asCarried } from '../src/upstream/fidelity.ts';
import { createMarker } from '../src/upstream/marker.ts';
import { patchArb, uniqueIds, writable } from './support/arbitraries.ts';
import { fieldsOf, toWire } from './support/dialect-harness.ts';
import { drainTenant } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { canonicalOn, exampleCreate, filledByProvider, orderedPairs } from './support/pairs.ts';
import { type Provider, type ReplicatingGateway, replicatingGateway, startProvider, tenantsPerUpstream } from './support/upstream.ts';

// "A 200 means it is so" (docs/migrating.md), as a property over every ordered (client dialect,
// upstream dialect) pair, in proxy and in mirror mode: a client creates a customer on gateway A with
// its example body, then sends generated updates in its own wire form (any field its coverage
// writes set, cleared or merged). After every acknowledged write, the customer at gateway B (a
// second custgate process playing the provider), read through the upstream's own dialect, equals
// A's customer shown through that dialect, on every field the upstream's client half reads.
// - proxy: a write the upstream cannot carry is refused in the client's envelope (a 4xx, never a
//   5xx), and neither A nor B changes.
// - mirror: every write is acknowledged (A is the system of record); a change the upstream
//   declares it cannot carry is left out of the delivery and named on the delivered row
//   (`not carried: …`); B keeps its value for that field until a later delivery carries one.
// CUSTGATE_PAIRS_RUNS sets the generated sequences per pair and mode (default 1, of 1–3 updates: about 40 s per backend);
// CUSTGATE_PAIRS_SEED fixes fast-check's seed (default random), to replay a CI failure or sweep a set of seeds.

const runs = Number(process.env.CUSTGATE_PAIRS_RUNS ?? 1);
const seed = process.env.CUSTGATE_PAIRS_SEED === undefined ? {} : { seed: Number(process.env.CUSTGATE_PAIRS_SEED) };
type Mode = 'proxy' | 'mirror';

let provider: Provider;
let local: ReplicatingGateway;
let tenants: Record<Mode, Map<DialectName, CreatedTenant>>;

beforeAll(async () => {
  provider = await startProvider();
  local = await replicatingGateway();
  tenants = { proxy: await tenantsPerUpstream(local, provider, 'proxy'), mirror: await tenantsPerUpstream(local, provider, 'mirror') };
}, 120_000);
afterAll(async () => {
  await local?.store.executor.close();
  await provider?.process.stop();
});

/** B's customer, read through the upstream's own dialect (its retrieve, read by its client half). */
async function onB(upstream: AnyDialect, remoteId: string): Promise<CustomerFields> {
  const request = upstream.client.retrieve(remoteId, provider.credentials[upstream.name as DialectName]);
  const res = await fetch(`${provider.baseUrl(upstream.name as DialectName)}${request.path}`, {
    method: request.method,
    headers: request.headers,
  });
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  const parsed = upstream.client.parse(body);
  if (isGatewayError(parsed)) throw parsed;
  return applyPatch(fieldDefaults, parsed.patch);
}

/**
 * The fields compared: what the upstream reads back (and, for what the client asked, sends), less
 * what it fills in itself and what a mirror delivery left behind.
 */
function compared(upstream: AnyDialect, a: CustomerFields, left: ReadonlySet<string>, marker: boolean, sent: boolean): FieldName[] {
  return upstream.client.reads.filter(
    (f) =>
      !left.has(f) &&
      (!sent || upstream.client.sends.includes(f)) &&
      !(marker && f === 'external_id') &&
      !(filledByProvider(upstream).includes(f) && a[f] === fieldDefaults[f]),
  );
}

const pick = (fields: CustomerFields, names: readonly FieldName[]) => Object.fromEntries(names.map((f) => [f, fields[f]]));

/** Fields named `not carried: a, b.c (…); d (…)` on a delivery row: the top-level field of each, in every part. */
function notCarried(lastError: string | null): string[] {
  const parts = [...(lastError ?? '').matchAll(/(?:^not carried: |\); )([^()]+?) \(/g)].map((m) => m[1]!);
  return parts
    .flatMap((named) => named.split(','))
    .map((f) => f.trim().split('.')[0]!)
    .filter((f) => f !== '');
}

/**
 * One sequence: a create with the client's example body, then each canonical patch sent in the
 * client's wire form, checked after every write. Returns the fields a mirror left out as not carried.
 */
async function sequence(mode: Mode, client: AnyDialect, upstream: AnyDialect, patches: readonly CustomerPatch[]): Promise<Set<string>> {
  const tenant = tenants[mode].get(upstream.name as DialectName)!;
  const auth = fixturesOf(client).auth(tenant.credentials[client.name as DialectName]!);
  const aKey = tenant.credentials.wooshpay!.secret_key!;
  const collection = `${client.routes.prefix}${client.routes.collection}`;
  const headers = { authorization: `Bearer ${aKey}` };

  const remoteOf = async (uuid: string) => {
    const links = (await (await local.request(`/gateway/v1/customers/${uuid}/links`, { headers })).json()) as {
      data: { remote_id: string }[];
    };
    expect(links.data).toHaveLength(1);
    return links.data[0]!.remote_id;
  };
  const deliveries = async (uuid: string) =>
    (
      (await (await local.request(`/gateway/v1/customers/${uuid}/deliveries`, { headers })).json()) as {
        data: { version: number; state: string; last_error: string | null }[];
      }
    ).data;

  const created = await local.request(collection, jsonInit('POST', exampleCreate(client, upstream), auth));
  const createdBody = await created.json();
  expect(created.status, JSON.stringify(createdBody)).toBe(client.wire.createdStatus);
  const id = fixturesOf(client).idOf(createdBody);
  if (mode === 'mirror') expect(await drainTenant(local.dispatcher, local.store.outbox, tenant.tenant.id)).toMatchObject({ dead: 0 });
  let a = await canonicalOn(local.request, id, aKey);
  const uuid = a.ids.uuid as string;
  const remoteId = await remoteOf(uuid);
  // A Zenskar create carries a marker as the external_id when the customer has none
  // (src/upstream/marker.ts): B may show it where A has none.
  const marker = createMarker(upstream, uuid, fieldsOf(a)) !== undefined && fieldsOf(a).external_id === null;
  // Fields a mirror delivery recorded as not carried, until a later delivery carries them.
  const left = new Set<string>();
  const log: string[] = [];

  for (const generated of patches) {
    const before = fieldsOf(a);
    const bBefore = await onB(upstream, remoteId);
    const wire = toWire(client, uniqueIds(generated), before);
    const res = await local.request(`${collection}/${encodeURIComponent(id)}`, jsonInit(client.routes.update, wire.body, auth));
    const answer = await res.text();
    log.push(`${client.routes.update} ${JSON.stringify(wire.body)} -> ${res.status} ${answer.slice(0, 300)}`);
    const seen = log.join('\n');
    if (mode === 'proxy' && res.status !== 200) {
      // Refused in the client's own envelope, before anything was sent: neither side changed.
      expect(res.status, seen).toBeGreaterThanOrEqual(400);
      expect(res.status, seen).toBeLessThan(500);
      const after = await canonicalOn(local.request, id, aKey);
      expect(after.version, seen).toBe(a.version);
      expect(await onB(upstream, remoteId), seen).toEqual(bBefore);
      continue;
    }
    expect(res.status, seen).toBe(200);
    a = await canonicalOn(local.request, id, aKey);
    if (mode === 'mirror') {
      expect(await drainTenant(local.dispatcher, local.store.outbox, tenant.tenant.id), seen).toMatchObject({ dead: 0 });
      const last = (await deliveries(uuid)).find((d) => d.version === a.version);
      // A field the write changed and the delivery carried is in step again; not a "" member the
      // provider was given before (and that was named then): sent again, it stays as it was there.
      for (const change of diffFields(before, fieldsOf(a))) {
        const given = emptyPaths(change.field, fieldsOf(a)[change.field]).some((path) => valueAt(before, path) === '');
        if (!given) left.delete(change.field);
      }
      for (const f of notCarried(last?.last_error ?? null)) left.add(f);
    }
    const aFields = fieldsOf(a);
    const b = await onB(upstream, remoteId);
    // A proxy's local copy is what the provider answered; a mirror's is the system of record,
    // whose fields the provider cannot be sent (Wooshpay's currency) stay as it had them.
    const names = compared(upstream, aFields, left, marker, mode === 'mirror');
    expect(pick(b, names), `${seen}\nleft out: ${[...left].join(', ')}`).toEqual(pick(asCarried(upstream, aFields, true), names));
    if (mode === 'proxy') {
      // And it is what the client asked for, on every field the upstream is sent.
      const asked = applyPatch(before, client.translation.updatePatch(validate(client.wire.request.update, wire.body)));
      const sent = compared(upstream, asked, left, marker, true);
      expect(pick(b, sent), `${seen}\nasked`).toEqual(pick(asCarried(upstream, asked, true), sent));
      // Both sides above are read through the upstream's client half, which would read a "" it
      // drops as none on both: a "" asked for (Meteroid's phone or city) is a "" A holds, where
      // the provider holds it; where it would not, the write is refused.
      const lostEmpty = sent.flatMap((f) => emptyPaths(f, asked[f])).filter((path) => valueAt(aFields, path) !== '');
      expect(
        lostEmpty.map((path) => path.join('.')),
        `${seen}\nasked ""`,
      ).toEqual([]);
    }
  }
  return left;
}

describe.each(
  orderedPairs.flatMap(([c, u, client, upstream]) => (['proxy', 'mirror'] as const).map((m) => [m, c, u, client, upstream] as const)),
)('%s: %s client -> %s upstream', (mode: Mode, _c, _u, client, upstream) => {
  it('after every acknowledged write B holds what A holds on every field B carries; a refusal changes neither', {
    timeout: 60_000 + runs * 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(patchArb(writable(client.translation.coverage)), { minLength: 1, maxLength: 3 }), async (patches) => {
        await sequence(mode, client, upstream, patches);
      }),
      { numRuns: runs, ...seed },
    );
  });
});

// Found by the property; pinned so they run at every CUSTGATE_PAIRS_RUNS.
describe('examples the property found', () => {
  it('mirror: a Wooshpay client clears the name, which Bigcapital requires (displayName): not carried, the provider keeps its name, nothing dead', {
    timeout: 60_000,
  }, async () => {
    const left = await sequence('mirror', dialects.wooshpay, dialects.bigcapital, [{ name: clear }]);
    expect([...left]).toContain('name');
  });
  it('mirror: a shipping address with no member Wooshpay shows (its contact email only) is not carried to a Wooshpay upstream, not dropped in silence', {
    timeout: 60_000,
  }, async () => {
    const shipping = set({ name: null, phone: null, same_as_billing: false, address: { ...emptyAddress, email: 'dock@example.com' } });
    const left = await sequence('mirror', dialects.bigcapital, dialects.wooshpay, [{ shipping }]);
    expect([...left]).toContain('shipping');
  });
  it('mirror: a Meteroid phone "" into Bigcapital, which holds "" but reads one sent onto another value as none: named, in the second part of the record', {
    timeout: 60_000,
  }, async () => {
    // The currency Bigcapital's update takes no value for is the first part of the record. (The
    // shipping address was, named by its contact email, which Bigcapital has no clear for, though
    // the customer never had one: noise, no longer named.)
    const shipping = set({ name: null, phone: null, same_as_billing: false, address: { ...emptyAddress, state: 'aa' } });
    const left = await sequence('mirror', dialects.meteroid, dialects.bigcapital, [{ currency: set('USD'), phone: set(''), shipping }]);
    expect([...left].sort()).toEqual(['currency', 'phone']);
  });
  it('mirror: a Meteroid same_as_billing over a billing state "" into Zenskar (no flag: the billing address goes as ship_to_address, its "" read as none): named', {
    timeout: 60_000,
  }, async () => {
    const billing = set({ ...emptyAddress, state: '', country_name: 'Atlantis' });
    const flagged = set({ name: null, phone: null, same_as_billing: true, address: null });
    const left = await sequence('mirror', dialects.meteroid, dialects.zenskar, [{ address: billing }, { shipping: flagged }]);
    expect([...left]).toContain('shipping');
  });
  it('mirror: a Zenskar client clears tax_info after setting a VAT number, which Meteroid cannot remove: not carried, not delivered in silence', {
    timeout: 60_000,
  }, async () => {
    const vat = set([{ type: 'VAT', value: 'DE00000000', country: 'DE' }]);
    const left = await sequence('mirror', dialects.zenskar, dialects.meteroid, [{ tax_ids: vat }, { tax_ids: clear }]);
    expect([...left]).toContain('tax_ids');
  });
  // CUSTGATE_PAIRS_SEED=2404 x5: judged against the customer as last delivered (no VAT), the next
  // tax_ids change was not named, though the provider still held the VAT number left out before.
  it('mirror: … and a later tax_info without a VAT number is named again: Meteroid still holds the one left out', {
    timeout: 60_000,
  }, async () => {
    const vat = set([{ type: 'VAT', value: 'DE00000000', country: 'DE' }]);
    const abn = set([{ type: 'ABN', value: '00000000', country: 'DE' }]);
    const left = await sequence('mirror', dialects.zenskar, dialects.meteroid, [{ tax_ids: vat }, { tax_ids: clear }, { tax_ids: abn }]);
    expect([...left]).toContain('tax_ids');
  });
});
