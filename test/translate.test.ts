import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { cli } from './support/processes.ts';
import { translateRig } from './support/translate.ts';

// POST /gateway/v1/translate and `custgate translate`: the translated body, its errors, and each
// target's acceptance of it. The loss report's exactness is in translate-losses.test.ts.

const rig = translateRig();
const { translate } = rig;

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

      const created = await rig.gw.request('/v1/customers', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${btoa(`${rig.gw.tenant.credentials.wooshpay!.secret_key}:`)}`,
        },
        body: JSON.stringify({ name: 'Before' }),
      });
      const { id } = (await created.json()) as { id: string };
      const canonical = await rig.gw.canonical(id);
      const ref = fixturesOf(target).ref(canonical.ids as { uuid: string; public_id: string; number: number });
      const update = await rig.gw.request(`${target.routes.prefix}${target.routes.collection}/${ref}`, {
        method: target.routes.update,
        headers: { 'content-type': 'application/json', ...fixturesOf(target).auth(rig.gw.tenant.credentials[to]!) },
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
