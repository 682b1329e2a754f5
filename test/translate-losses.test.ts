import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { translateRig } from './support/translate.ts';

// POST /gateway/v1/translate's loss report names exactly what the target write would lose or change.

const rig = translateRig();
const { translate } = rig;

describe('translate: the loss report is exact', () => {
  type Result = { body: Record<string, unknown>; losses: { field: string; kind: string }[] };
  const run = async (from: string, to: string, body: unknown) => {
    const res = await translate(`from=${from}&to=${to}`, body);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Result;
  };
  const lost = (r: Result) => r.losses.map((l) => `${l.field}:${l.kind}`);

  it('a body into its own dialect comes back as sent, with nothing lost', async () => {
    for (const name of Object.keys(dialects) as (keyof typeof dialects)[]) {
      const body = fixturesOf(dialects[name] as AnyDialect).update;
      expect(await run(name, name, body), name).toEqual({ from: name, to: name, body, losses: [] });
    }
  });

  // A Stripe "" keeps a stored "" (schemas/patch.ts, ClearOp.keepsEmpty); Meteroid replaces the
  // address whole, and a member left out of it is none, so a stored "" there is cleared: each text
  // member cleared with "" is named (lossy). Country has no "" (Stripe's "" clears it outright).
  // Before, the report was empty.
  const emptied = ['address.line1:lossy', 'address.line2:lossy', 'address.state:lossy', 'address.postal_code:lossy'];
  it('a Stripe address naming every member is a whole Meteroid billing_address, with its "" clears named', async () => {
    const whole = await run('wooshpay', 'meteroid', {
      address: { line1: '', line2: '', city: 'Berlin', state: '', postal_code: '', country: 'DE' },
    });
    expect(whole).toMatchObject({ body: { billing_address: { city: 'Berlin', country: 'DE' } } });
    expect(lost(whole)).toEqual(emptied);
    // Every member cleared is Meteroid's {} (it empties the address): the city's "" too.
    const empty = await run('wooshpay', 'meteroid', {
      address: { line1: '', line2: '', city: '', state: '', postal_code: '', country: '' },
    });
    expect(empty).toMatchObject({ body: { billing_address: {} } });
    expect(lost(empty)).toEqual([
      'address.line1:lossy',
      'address.line2:lossy',
      'address.city:lossy',
      'address.state:lossy',
      'address.postal_code:lossy',
    ]);
    // A clear that came in as null (Zenskar's) clears a stored "" in both: nothing lost.
    const nulls = { line1: null, line2: null, city: 'Berlin', state: null, zipCode: null, country: 'Germany' };
    expect(await run('zenskar', 'meteroid', { address: nulls })).toMatchObject({ losses: [] });
    // One member is still a merge Meteroid cannot express.
    expect(lost(await run('wooshpay', 'meteroid', { address: { city: 'Berlin' } }))).toEqual(['address:inexpressible']);
  });

  it('the "" named is lost: a stored line1 "" the Stripe write keeps, the translated Meteroid write clears', async () => {
    const meteroid = dialects.meteroid as AnyDialect;
    const meteroidAuth = fixturesOf(meteroid).auth(rig.gw.tenant.credentials.meteroid!);
    const collection = `${meteroid.routes.prefix}${meteroid.routes.collection}`;
    const address = { line1: '', line2: '', city: 'Berlin', state: '', postal_code: '', country: 'DE' };
    const lines: unknown[] = [];
    for (const through of ['wooshpay', 'meteroid'] as const) {
      const created = await rig.gw.request(collection, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...meteroidAuth },
        body: JSON.stringify({ name: 'Blank Line', currency: 'EUR', billing_address: { line1: '', city: 'Oslo', country: 'NO' } }),
      });
      expect(created.status, await created.clone().text()).toBe(meteroid.wire.createdStatus);
      const id = fixturesOf(meteroid).idOf(await created.json());
      const write =
        through === 'wooshpay'
          ? rig.gw.request(`/wooshpay/v1/customers/${id}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...rig.auth },
              body: JSON.stringify({ address }),
            })
          : rig.gw.request(`${collection}/${id}`, {
              method: 'PATCH',
              headers: { 'content-type': 'application/json', ...meteroidAuth },
              body: JSON.stringify((await run('wooshpay', 'meteroid', { address })).body),
            });
      expect((await write).status).toBe(200);
      const read = await rig.gw.request(`${collection}/${id}`, { headers: meteroidAuth });
      lines.push(((await read.json()) as { billing_address: { line1: unknown } }).billing_address.line1);
    }
    expect(lines).toEqual(['', null]);
  });

  // A Zenskar null clear empties a stored "" (a Meteroid client's phone ""); a Stripe-like body
  // clears with "" (form bodies have no null), which keeps one (schemas/patch.ts, keepsEmpty). The
  // translation cannot make the change there: it names each such clear. Before, nothing was named.
  it.each(['wooshpay', 'connhex'] as const)('a Zenskar null clear into %s is named: a stored "" it keeps', async (to) => {
    const cleared = { phone_number: null, address: { line1: null } };
    const translated = await run('zenskar', to, cleared);
    expect(translated.body).toEqual({ phone: '', address: { line1: '' } });
    expect(lost(translated).sort()).toEqual(['address.line1:lossy', 'phone:lossy']);
    const meteroid = dialects.meteroid as AnyDialect;
    const meteroidAuth = fixturesOf(meteroid).auth(rig.gw.tenant.credentials.meteroid!);
    const collection = `${meteroid.routes.prefix}${meteroid.routes.collection}`;
    const held: unknown[] = [];
    for (const through of ['zenskar', to] as const) {
      const created = await rig.gw.request(collection, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...meteroidAuth },
        body: JSON.stringify({
          name: 'Blank Phone',
          currency: 'EUR',
          phone: '',
          billing_address: { line1: '', city: 'Oslo', country: 'NO' },
        }),
      });
      expect(created.status, await created.clone().text()).toBe(meteroid.wire.createdStatus);
      const id = fixturesOf(meteroid).idOf(await created.json());
      const canonical = await rig.gw.canonical(String(id));
      const dialect = dialects[through] as AnyDialect;
      const ref = fixturesOf(dialect).ref(canonical.ids as { uuid: string; public_id: string; number: number });
      const write = await rig.gw.request(`${dialect.routes.prefix}${dialect.routes.collection}/${ref}`, {
        method: dialect.routes.update,
        headers: { 'content-type': 'application/json', ...fixturesOf(dialect).auth(rig.gw.tenant.credentials[through]!) },
        body: JSON.stringify(through === 'zenskar' ? cleared : translated.body),
      });
      expect(write.status, await write.clone().text()).toBe(200);
      const fields = (await rig.gw.canonical(String(id))) as unknown as { phone: unknown; address: { line1: unknown } };
      held.push([fields.phone, fields.address.line1]);
    }
    expect(held).toEqual([
      [null, null],
      ['', ''],
    ]);
  });

  it('members the target keeps whatever it is sent are reported when the source clears them', async () => {
    // Connhex's "" clears the whole address, line3 too; Bigcapital keeps a stored line3.
    expect(lost(await run('connhex', 'bigcapital', { address: '' }))).toContain('address.line3:unsupported');
    // Wooshpay's "" clears the whole shipping; Meteroid keeps a stored recipient name and phone.
    expect(lost(await run('wooshpay', 'meteroid', { shipping: '' }))).toEqual([
      'shipping.name:inexpressible',
      'shipping.phone:inexpressible',
    ]);
  });

  it('a shipping write into a dialect without a same-as-billing flag warns of both ways a stored flag changes it', async () => {
    const shipping = { shipping: { name: 'Jenny', address: { city: 'Berlin' } } };
    expect(lost(await run('wooshpay', 'zenskar', shipping))).toEqual(
      expect.arrayContaining(['shipping.same_as_billing:lossy', 'shipping.address:lossy']),
    );
    expect(lost(await run('wooshpay', 'bigcapital', shipping))).toContain('shipping.same_as_billing:lossy');
    // Both addresses at once: Bigcapital's echo rule keeps a same-as-billing shipping one as it was.
    const both = { billing_address: { city: 'Berlin' }, shipping_address: { same_as_billing: false, address: { city: 'Berlin' } } };
    expect(lost(await run('meteroid', 'bigcapital', both))).toContain('shipping.address:lossy');
    // A shipping address alone may be the billing address too: Meteroid's same_as_billing: false
    // ends the flag, Bigcapital (no flag) keeps it and the address stored under it.
    const alone = { shipping_address: { same_as_billing: false, address: { city: 'Berlin' } } };
    expect(lost(await run('meteroid', 'bigcapital', alone))).toEqual(expect.arrayContaining(['shipping.address:lossy']));
    for (const from of ['wooshpay', 'zenskar'] as const) {
      const shipped = from === 'wooshpay' ? shipping : { ship_to_address: { city: 'Berlin' } };
      expect(lost(await run(from, 'bigcapital', shipped)), from).toEqual(expect.arrayContaining(['shipping.address:lossy']));
    }
  });
});
