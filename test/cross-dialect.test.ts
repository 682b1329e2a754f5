import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { type CustomerFields, type CustomerPatch, fieldDefaults, type FieldName, fieldNames, set } from '../schemas/index.ts';
import { applyPatch } from '../src/core/index.ts';
import type { AnyDialect, Principal } from '../src/contract/dialect.ts';
import { validate } from '../src/contract/validate.ts';
import { uniqueIds, writable } from './support/arbitraries.ts';
import {
  type CanonicalView,
  carried,
  collectionPath,
  customerOf,
  fieldsOf,
  hiddenMembers,
  itemPath,
  seedCustomer,
  toWire,
  update,
} from './support/dialect-harness.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// One customer, every dialect: a customer created through any dialect reads right through every
// other, an update through any dialect shows everywhere, and what a dialect cannot write survives
// an update through it. Every dialect in the registry takes part; a new one is covered by
// registering it (with its examples and coverage table).

const registered: AnyDialect[] = Object.values(dialects);

let gw: TestGateway;
let principal: Principal;

beforeAll(async () => {
  gw = await testGateway();
  principal = { tenantId: gw.tenant.tenant.id, credentialId: 'x', livemode: false };
});

const authOf = (d: AnyDialect) => fixturesOf(d).auth(gw.tenant.credentials[d.name]!);

async function create(d: AnyDialect, body: unknown = fixturesOf(d).create): Promise<CanonicalView> {
  const res = await gw.request(collectionPath(d), jsonInit('POST', body, authOf(d)));
  const shown = await res.json();
  expect(res.status, JSON.stringify(shown)).toBe(d.wire.createdStatus);
  return gw.canonical(fixturesOf(d).idOf(shown));
}

/** The patch a dialect's update body stands for, as the gateway reads it. */
const patchOf = (d: AnyDialect, body: unknown): CustomerPatch => d.translation.updatePatch(validate(d.wire.request.update, body));

/** A field under its provider name at the top of a response, when the coverage table names one. */
function shownAs(d: AnyDialect, field: FieldName, shown: Record<string, unknown>): unknown {
  const as = d.translation.coverage[field]?.as;
  return as !== undefined && /^[A-Za-z_]+$/.test(as) && as in shown ? shown[as] : undefined;
}

/**
 * Reads the customer through every dialect and checks what each shows: the whole response is the
 * stored customer in that dialect's form, in the provider's response schema, under the id that
 * dialect uses; and every field its coverage table says it reads, under the provider's name, has
 * the stored value (compared as text where the provider changes case: Wooshpay's currency).
 */
async function expectShownEverywhere(view: CanonicalView, context: string): Promise<void> {
  for (const reader of registered) {
    const res = await gw.request(itemPath(reader, view.ids, gw.registry), { headers: authOf(reader) });
    const shown = (await res.json()) as Record<string, unknown>;
    const where = `${context}, read through ${reader.name}`;
    expect(res.status, where).toBe(200);
    expect(v.safeParse(fixturesOf(reader).response, shown).issues, where).toBeUndefined();
    expect(fixturesOf(reader).idOf(shown), where).toBe(fixturesOf(reader).ref(view.ids as never));
    expect(shown, where).toEqual(JSON.parse(JSON.stringify(reader.wire.render(customerOf(view), { expand: [], principal }))));
    // A dialect shows "" for a name it requires where none is stored (Bigcapital, Meteroid).
    expect(fixturesOf(reader).name(shown) || null, where).toBe(view.name);

    for (const field of fieldNames) {
      if (!reader.translation.coverage[field]?.read) continue;
      const stored = view[field];
      const value = shownAs(reader, field, shown);
      // Scalars and lists of text; structured fields (addresses) are covered by the render check.
      const scalar = ['string', 'number', 'boolean'].includes(typeof stored) && typeof value === typeof stored;
      const texts = (x: unknown) => Array.isArray(x) && x.every((item) => typeof item === 'string');
      if (typeof stored === 'string' && scalar) expect(String(value).toLowerCase(), `${where}: ${field}`).toBe(stored.toLowerCase());
      else if (scalar || (texts(stored) && texts(value))) expect(value, `${where}: ${field}`).toEqual(stored);
    }
  }
}

/** The fields the coverage table says a dialect cannot write. */
const unwritable = (d: AnyDialect) => fieldNames.filter((f) => !d.translation.coverage[f]?.write);

/**
 * Sends an update through a dialect and checks the stored customer changed exactly as the body
 * says: the fields the body names as the dialect maps them, every other field (above all those
 * the dialect cannot write, or even show) as it was.
 */
async function updateThrough(d: AnyDialect, view: CanonicalView, body: unknown, context: string): Promise<CanonicalView> {
  const res = await update(gw, d, view.ids, body);
  expect(res.status, `${context}: ${await res.clone().text()}`).toBe(200);
  const after = await gw.canonical(view.ids.uuid as string);
  const patch = patchOf(d, body);
  for (const field of unwritable(d)) {
    expect(after[field], `${context}: ${field}, which ${d.name} cannot write, survives`).toEqual(view[field]);
  }
  for (const field of fieldNames.filter((f) => !(f in patch))) {
    expect(after[field], `${context}: ${field}, absent from the body, is unchanged`).toEqual(view[field]);
  }
  expect(fieldsOf(after), context).toEqual(applyPatch(fieldsOf(view), patch));
  return after;
}

/** A customer with every field away from its default: whatever an update drops shows. */
function richPatch(tag: string): CustomerPatch {
  const address = (city: string) => ({
    line1: `${tag} 1 Main St`,
    line2: 'Suite 2',
    line3: 'Floor 3',
    city,
    state: 'IL',
    postal_code: '62701',
    country: tag === 'Seeded' ? 'DE' : 'FR',
    email: `${tag.toLowerCase()}@address.example`,
    phone: '+15555550102',
  });
  const fields: CustomerFields = {
    alias: `${tag.toLowerCase()}-alias`,
    external_id: `${tag.toLowerCase()}-ext`,
    name: `${tag} Name`,
    first_name: `${tag} First`,
    last_name: `${tag} Last`,
    salutation: 'Dr.',
    company_name: `${tag} GmbH`,
    customer_type: 'individual',
    email: `${tag.toLowerCase()}@example.com`,
    invoicing_emails: [`${tag.toLowerCase()}-invoices@example.com`],
    phone: '+15555550100',
    mobile_phone: '+15555550101',
    website: `https://${tag.toLowerCase()}.example`,
    description: `${tag} description`,
    address: address('Springfield'),
    shipping: { name: `${tag} Receiver`, phone: '+15555550103', same_as_billing: false, address: address('Shelbyville') },
    currency: tag === 'Seeded' ? 'CHF' : 'GBP',
    preferred_locales: ['de', 'en'],
    invoice_prefix: tag === 'Seeded' ? 'SEED' : 'REWR',
    next_invoice_sequence: 42,
    tax_exempt: 'reverse',
    tax_ids: [
      { type: 'VAT', value: 'DE123456789', country: 'DE' },
      { type: 'EIN', value: '12-3456789', country: 'US' },
    ],
    custom_taxes: [{ name: `${tag} tax`, rate: '7.5', tax_code: 'T1' }],
    metadata: { plan: tag, seats: '12' },
    invoicing_entity_id: `ie_${tag.toLowerCase()}`,
    business_entity_id: tag === 'Seeded' ? '6f1c1a5e-8f7b-4c1e-9d2a-0b8e7c6d5a41' : '7a2d2b6f-9a8c-4d2f-8e3b-1c9f8d7e6b52',
    connector: { name: 'hubspot', reference_id: `${tag}-42` },
    communications_enabled: false,
    auto_charge_enabled: false,
    active: false,
  };
  return Object.fromEntries(fieldNames.map((f) => [f, set(fields[f])])) as CustomerPatch;
}

describe('cross-dialect', () => {
  it('every dialect is in the suite: each has examples and a coverage table for every canonical field', () => {
    expect(registered.length).toBeGreaterThan(1);
    for (const [key, d] of Object.entries(dialects)) {
      // The registry key is the name every config, audience and credential map is keyed by.
      expect(d.name).toBe(key);
      for (const f of fieldNames) expect(d.translation.coverage, `${d.name}: ${f}`).toHaveProperty(f);
      expect(fixturesOf(d).create, d.name).toBeDefined();
    }
  });

  describe.each(registered.map((d) => [d.name, d] as const))('created through %s', (_name, creator) => {
    it('is stored as the create body says and reads right through every dialect', async () => {
      const view = await create(creator);
      const patch = creator.translation.createPatch(validate(creator.wire.request.create, fixturesOf(creator).create));
      expect(fieldsOf(view)).toEqual(applyPatch(fieldDefaults, patch));
      await expectShownEverywhere(view, `created through ${creator.name}`);
    });

    it('updated through each dialect in turn, shows every change everywhere, and keeps what the updater cannot write', async () => {
      let view = await create(creator);
      for (const updater of registered) {
        const context = `created through ${creator.name}, updated through ${updater.name}`;
        view = await updateThrough(updater, view, fixturesOf(updater).update, context);
        await expectShownEverywhere(view, context);
        const name = `Renamed via ${updater.name}`;
        view = await updateThrough(updater, view, fixturesOf(updater).setName(name), `${context} (name)`);
        expect(view.name).toBe(name);
        await expectShownEverywhere(view, `${context} (name)`);
      }
    });
  });

  it('every canonical field, set through whichever dialect writes it, survives an update through every other dialect', async () => {
    // Start from a customer with every field set, then write again through each dialect that can
    // translate a canonical change (with new values); every field then holds a value some update
    // may wrongly drop.
    const start = richPatch('Seeded');
    const rewrite = richPatch('Rewritten');
    let view = await seedCustomer(gw, uniqueIds(start));
    const written = new Set<FieldName>();
    for (const writer of registered) {
      const fields = (Object.keys(writable(writer.translation.coverage)) as FieldName[]).filter((f) => !written.has(f));
      const patch = uniqueIds(Object.fromEntries(fields.map((f) => [f, rewrite[f]])) as CustomerPatch);
      const wire = toWire(writer, patch, fieldsOf(view));
      const res = await update(gw, writer, view.ids, wire.body);
      expect(res.status, `${writer.name}: ${await res.clone().text()}`).toBe(200);
      const after = await gw.canonical(view.ids.uuid as string);
      const hidden = hiddenMembers(writer, principal);
      expect(carried(fieldsOf(after), wire.losses, hidden), `set through ${writer.name}`).toEqual(
        carried(applyPatch(fieldsOf(view), wire.patch), wire.losses, hidden),
      );
      for (const f of fields) written.add(f);
      view = after;
    }
    for (const field of fieldNames) expect(view[field], field).not.toEqual(fieldDefaults[field]);

    for (const updater of registered) {
      view = await updateThrough(updater, view, fixturesOf(updater).update, `full customer, updated through ${updater.name}`);
      await expectShownEverywhere(view, `full customer, updated through ${updater.name}`);
    }
  });

  it.skipIf(!dialects.zenskar || !dialects.wooshpay)('a Zenskar connector survives a Wooshpay update', async () => {
    const zenskar = dialects.zenskar!;
    const wooshpay = dialects.wooshpay!;
    let view = await create(zenskar);
    view = await updateThrough(zenskar, view, { connector: { name: 'hubspot', reference_id: 'hs-4711' } }, 'connector through zenskar');
    expect(view.connector).toEqual({ name: 'hubspot', reference_id: 'hs-4711' });
    view = await updateThrough(wooshpay, view, fixturesOf(wooshpay).update, 'wooshpay update');
    expect(view.connector).toEqual({ name: 'hubspot', reference_id: 'hs-4711' });
  });

  it.skipIf(!dialects.meteroid || !dialects.bigcapital)(
    'a Meteroid alias survives a Bigcapital PUT, and still names the customer',
    async () => {
      const meteroid = dialects.meteroid!;
      const bigcapital = dialects.bigcapital!;
      const alias = `acme-main-${crypto.randomUUID().slice(0, 8)}`;
      let view = await create(meteroid);
      view = await updateThrough(meteroid, view, { alias }, 'alias through meteroid');
      expect(view.ids.alias).toBe(alias);
      view = await updateThrough(bigcapital, view, fixturesOf(bigcapital).update, 'bigcapital PUT');
      expect(view.ids.alias).toBe(alias);
      const res = await gw.request(`${collectionPath(meteroid)}/${alias}`, { headers: authOf(meteroid) });
      expect(res.status).toBe(200);
      expect(fixturesOf(meteroid).idOf(await res.json())).toBe(view.ids.public_id);
    },
  );
});
