import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { cli } from './support/processes.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

let gw: TestGateway;
let auth: Record<string, string>;

const translate = (query: string, body: unknown, headers = auth) =>
  gw.request(`/gateway/v1/translate?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  gw = await testGateway();
  auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
});

describe('translate: happy', () => {
  it('returns the equivalent body and an empty loss report when nothing is lost', async () => {
    const res = await translate('from=wooshpay&to=wooshpay', { name: 'A', phone: '', metadata: { a: '1', b: '' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      from: 'wooshpay',
      to: 'wooshpay',
      body: { name: 'A', phone: '', metadata: { a: '1', b: '' } },
      losses: [],
    });
  });

  // A CLI process start: the quick lane (CUSTGATE_QUICK=1, npm run test:quick) leaves real processes
  // to the full run.
  it.skipIf(process.env.CUSTGATE_QUICK === '1')('the CLI does the same from standard input', async () => {
    const { execFile } = await import('node:child_process');
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, [cli, 'translate', '--from', 'wooshpay', '--to', 'wooshpay'], (error, stdout) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
      );
      child.stdin!.end(JSON.stringify({ name: 'CLI' }));
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ body: { name: 'CLI' }, losses: [] });
  });
});

describe('translate: errors', () => {
  it('refuses an unknown dialect and an invalid source body, in the gateway envelope', async () => {
    const unknown = await translate('from=wooshpay&to=nowhere', { name: 'A' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const invalid = await translate('from=wooshpay&to=wooshpay', { nickname: 'A' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 'invalid_request', issues: [{ path: ['nickname'], kind: 'unknown' }] } });
  });

  // The source body's refusal named the schema library's words, "Invalid key: Expected never but
  // received \"bogus\"", where the dialect's own API says "Received unknown parameter: bogus".
  it("names an unknown or missing parameter of the source body in words, not the schema library's", async () => {
    const unknown = await translate('from=connhex&to=wooshpay', { bogus: 1 });
    expect(unknown.status).toBe(400);
    const said = ((await unknown.json()) as { error: { message: string; issues: { message: string }[] } }).error;
    expect(said.message).toBe(
      'Received unknown parameter: bogus (a Connhex (Stripe-like, JWT permissions) update takes no such parameter).',
    );
    expect(said.issues[0]?.message).toBe(said.message);
    const missing = await translate('from=bigcapital&to=wooshpay', { displayName: 'Acme' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe(
      'Missing required parameter: customerType (a Bigcapital update must have it).',
    );
  });

  it('needs a credential', async () => {
    expect((await translate('from=wooshpay&to=wooshpay', { name: 'A' }, {})).status).toBe(401);
  });
});

describe('translate: Bigcapital and Connhex', () => {
  it('Wooshpay -> Bigcapital: flat properties, the country as a name, and the required properties reported', async () => {
    const res = await translate('from=wooshpay&to=bigcapital', {
      name: 'Jenny Rosen',
      phone: '',
      address: { city: 'Berlin', country: 'DE' },
      metadata: { plan: 'gold' },
    });
    expect(res.status).toBe(200);
    const result = (await res.json()) as { body: unknown; losses: { field: string; kind: string }[] };
    expect(result.body).toEqual({
      displayName: 'Jenny Rosen',
      // A clear that came in as "" goes as "": Bigcapital reads it as Wooshpay does (a stored "" stays).
      workPhone: '',
      billingAddressCity: 'Berlin',
      billingAddressCountry: 'Germany',
    });
    expect(result.losses.map((l) => `${l.field}:${l.kind}`)).toEqual(['metadata:unsupported', 'customerType:required']);
  });

  it('Bigcapital -> Wooshpay: what Wooshpay has no field for is reported', async () => {
    const res = await translate('from=bigcapital&to=wooshpay', {
      customerType: 'business',
      displayName: 'Acme',
      website: 'https://acme.example',
      workPhone: null,
      billingAddressCountry: 'United States',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      from: 'bigcapital',
      to: 'wooshpay',
      body: { name: 'Acme', phone: '', address: { country: 'US' } },
      losses: [
        { field: 'customer_type', kind: 'unsupported', message: expect.any(String) },
        { field: 'website', kind: 'unsupported', message: expect.any(String) },
        // workPhone null empties a stored ""; Wooshpay's "" keeps one.
        { field: 'phone', kind: 'lossy', message: expect.any(String) },
      ],
    });
  });

  it('Wooshpay -> Connhex: "" still clears; metadata is reported', async () => {
    const res = await translate('from=wooshpay&to=connhex', { email: '', address: { line1: '1 Main St' }, metadata: { a: '1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      body: { email: '', address: { line1: '1 Main St' } },
      losses: [{ field: 'metadata', kind: 'unsupported' }],
    });
  });

  it('Connhex -> Wooshpay: the invoicing fields Wooshpay lacks are reported', async () => {
    const res = await translate('from=connhex&to=wooshpay', { name: 'Jenny', invoice_prefix: 'JR42', tax_exempt: 'reverse' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      body: { name: 'Jenny' },
      losses: [
        { field: 'invoice_prefix', kind: 'unsupported' },
        { field: 'tax_exempt', kind: 'unsupported' },
      ],
    });
  });

  it('strict=true refuses a translation into Bigcapital that needs required properties', async () => {
    const res = await translate('from=wooshpay&to=bigcapital&strict=true', { name: 'A' });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: 'lossy_translation', losses: [{ field: 'customerType', kind: 'required' }] } });
  });
});

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
    const meteroidAuth = fixturesOf(meteroid).auth(gw.tenant.credentials.meteroid!);
    const collection = `${meteroid.routes.prefix}${meteroid.routes.collection}`;
    const address = { line1: '', line2: '', city: 'Berlin', state: '', postal_code: '', country: 'DE' };
    const lines: unknown[] = [];
    for (const through of ['wooshpay', 'meteroid'] as const) {
      const created = await gw.request(collection, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...meteroidAuth },
        body: JSON.stringify({ name: 'Blank Line', currency: 'EUR', billing_address: { line1: '', city: 'Oslo', country: 'NO' } }),
      });
      expect(created.status, await created.clone().text()).toBe(meteroid.wire.createdStatus);
      const id = fixturesOf(meteroid).idOf(await created.json());
      const write =
        through === 'wooshpay'
          ? gw.request(`/wooshpay/v1/customers/${id}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...auth },
              body: JSON.stringify({ address }),
            })
          : gw.request(`${collection}/${id}`, {
              method: 'PATCH',
              headers: { 'content-type': 'application/json', ...meteroidAuth },
              body: JSON.stringify((await run('wooshpay', 'meteroid', { address })).body),
            });
      expect((await write).status).toBe(200);
      const read = await gw.request(`${collection}/${id}`, { headers: meteroidAuth });
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
    const meteroidAuth = fixturesOf(meteroid).auth(gw.tenant.credentials.meteroid!);
    const collection = `${meteroid.routes.prefix}${meteroid.routes.collection}`;
    const held: unknown[] = [];
    for (const through of ['zenskar', to] as const) {
      const created = await gw.request(collection, {
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
      const canonical = await gw.canonical(String(id));
      const dialect = dialects[through] as AnyDialect;
      const ref = fixturesOf(dialect).ref(canonical.ids as { uuid: string; public_id: string; number: number });
      const write = await gw.request(`${dialect.routes.prefix}${dialect.routes.collection}/${ref}`, {
        method: dialect.routes.update,
        headers: { 'content-type': 'application/json', ...fixturesOf(dialect).auth(gw.tenant.credentials[through]!) },
        body: JSON.stringify(through === 'zenskar' ? cleared : translated.body),
      });
      expect(write.status, await write.clone().text()).toBe(200);
      const fields = (await gw.canonical(String(id))) as unknown as { phone: unknown; address: { line1: unknown } };
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

describe("translate: every target accepts every other dialect's translated example body", () => {
  /** What a caller supplies for each required property the loss report names. */
  const supply: Record<string, unknown> = { customerType: 'business', displayName: 'Supplied Name' };
  // Every ordered pair of registered dialects, so a new dialect is checked against all others.
  const names = Object.keys(dialects) as (keyof typeof dialects)[];
  const pairs = names.flatMap((from) => names.filter((to) => to !== from).map((to) => [from, to] as const));

  for (const [from, to] of pairs) {
    it(`${from} -> ${to}`, async () => {
      const source: AnyDialect = dialects[from];
      const target: AnyDialect = dialects[to];
      const res = await translate(`from=${from}&to=${to}`, fixturesOf(source).update);
      expect(res.status).toBe(200);
      const { body, losses } = (await res.json()) as { body: Record<string, unknown>; losses: { field: string; kind: string }[] };
      const required = Object.fromEntries(losses.filter((l) => l.kind === 'required').map((l) => [l.field, supply[l.field]]));

      const created = await gw.request('/v1/customers', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${gw.tenant.credentials.wooshpay!.secret_key}:`)}` },
        body: JSON.stringify({ name: 'Before' }),
      });
      const { id } = (await created.json()) as { id: string };
      const canonical = await gw.canonical(id);
      const ref = fixturesOf(target).ref(canonical.ids as { uuid: string; public_id: string; number: number });
      const update = await gw.request(`${target.routes.prefix}${target.routes.collection}/${ref}`, {
        method: target.routes.update,
        headers: { 'content-type': 'application/json', ...fixturesOf(target).auth(gw.tenant.credentials[to]!) },
        body: JSON.stringify({ ...required, ...body }),
      });
      expect(update.status, await update.clone().text()).toBe(200);
      // The name travels through every pair: the target shows the source's name.
      const name = (
        source.translation.updatePatch(v.parse(source.wire.request.update, fixturesOf(source).update)).name as { value: string }
      ).value;
      expect(fixturesOf(target).name(await update.json())).toBe(name);
    });
  }
});
