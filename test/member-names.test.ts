import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { type AnyDialect, GatewayError } from '../src/contract/dialect.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { type Provider, startProvider, switchableProxy } from './support/upstream.ts';

// An address member a provider names otherwise (Zenskar's address.zipCode, Meteroid's
// billing_address.zip_code, Bigcapital's flat billingAddressZipcode) is named in an error as the
// client sends it: a check of the canonical customer, and a proxy upstream's refusal in the
// upstream's own names, name the member, not the address it is in (dialects/*/fields.ts `members`).

const all = Object.values(dialects) as AnyDialect[];
const marker = 'REFUSED-POSTCODE';

/** Each client dialect's body setting the billing postal code, and how its error envelope names that member. */
const postcode: Record<DialectName, { readonly body: (value: string) => unknown; readonly named: string }> = {
  wooshpay: { body: (postal_code) => ({ address: { postal_code } }), named: '"param":"address[postal_code]"' },
  connhex: { body: (postal_code) => ({ address: { postal_code } }), named: '"param":"address[postal_code]"' },
  meteroid: { body: (zip_code) => ({ billing_address: { zip_code } }), named: 'billing_address.zip_code:' },
  bigcapital: {
    body: (billingAddressZipcode) => ({ customerType: 'business', displayName: 'Postcode Co', billingAddressZipcode }),
    named: '"property":"billingAddressZipcode"',
  },
  zenskar: { body: (zipCode) => ({ address: { zipCode } }), named: '"loc":["body","address","zipCode"]' },
};

/** Where each upstream's own refusal puts the postal code: its member's path in its names. */
const upstreamPath: Partial<Record<DialectName, readonly string[]>> = {
  zenskar: ['address', 'zipCode'],
  meteroid: ['billing_address', 'zip_code'],
  bigcapital: ['billingAddressZipcode'],
};

let gw: TestGateway;
let provider: Provider;

beforeAll(async () => {
  gw = await testGateway();
  provider = await startProvider();
}, 120_000);
afterAll(async () => {
  await provider?.process.stop();
});

async function created(dialect: AnyDialect, auth: Record<string, string>): Promise<string> {
  const res = await gw.request(`${dialect.routes.prefix}${dialect.routes.collection}`, jsonInit('POST', fixturesOf(dialect).create, auth));
  expect(res.status, await res.clone().text()).toBe(dialect.wire.createdStatus);
  return fixturesOf(dialect).idOf(await res.json());
}

describe('a renamed address member in an error', () => {
  it('a canonical check names Zenskar’s zipCode, not the address', async () => {
    const auth = fixturesOf(dialects.zenskar).auth(gw.tenant.credentials.zenskar!);
    const id = await created(dialects.zenskar, auth);
    const res = await gw.request(`/zenskar/customers/${id}`, jsonInit('PATCH', postcode.zenskar.body('z'.repeat(5001)), auth));
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(postcode.zenskar.named);
  });

  it.each(Object.keys(upstreamPath) as DialectName[])(
    'a %s upstream’s refusal of its postal code member names each client dialect’s own',
    { timeout: 60_000 },
    async (upstream) => {
      const own = dialects[upstream] as AnyDialect;
      const issues = [{ path: [...upstreamPath[upstream]!], kind: 'value' as const, message: 'not a postal code here' }];
      const refusal = own.wire.renderError(new GatewayError('invalid_request', 'not a postal code here', { issues }));
      const refusing = await switchableProxy(provider.base, { refuse: (body) => (body.includes(marker) ? refusal : undefined) });
      try {
        const tenant = await createTenant(gw.store, gw.config, `postcode-${upstream}-${crypto.randomUUID().slice(0, 8)}`);
        await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), tenant.tenant.id, {
          dialect: upstream,
          baseUrl: `${refusing.url}${new URL(provider.baseUrl(upstream)).pathname}`,
          mode: 'proxy',
          credentials: provider.credentials[upstream],
        });
        for (const client of all) {
          const auth = fixturesOf(client).auth(tenant.credentials[client.name]!);
          const id = await created(client, auth);
          const path = `${client.routes.prefix}${client.routes.collection}/${id}`;
          const res = await gw.request(path, jsonInit(client.routes.update, postcode[client.name as DialectName].body(marker), auth));
          const text = await res.text();
          expect(res.status, `${client.name}: ${text}`).toBe(client.wire.renderError(new GatewayError('invalid_request', 'x')).status);
          expect(text, client.name).toContain(postcode[client.name as DialectName].named);
        }
      } finally {
        await refusing.close();
      }
    },
  );
});
