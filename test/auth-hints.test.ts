import { decodeJwt } from 'jose';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { JwtService } from '../src/auth/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { type TestGateway, tenantSigningKey, testGateway } from './support/gateway.ts';

// A refused credential says what the dialect expected, in the dialect's own envelope and status,
// told from the request's shape alone: the same answer whether or not the key exists.

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});
afterAll(() => gw?.store.executor.close());

const all = Object.values(dialects) as AnyDialect[];
const title = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const authOf = (dialect: AnyDialect) => fixturesOf(dialect).auth(gw.tenant.credentials[dialect.name] ?? {});

/** A list request through `dialect` with these headers: its status and its body, checked against the provider's error envelope. */
async function refused(dialect: AnyDialect, headers: Record<string, string>) {
  const res = await gw.request(`${dialect.routes.prefix}${dialect.routes.collection}`, { headers });
  const body = (await res.json()) as unknown;
  expect(v.safeParse(dialect.wire.openapi.errorResponse, body).success, JSON.stringify(body)).toBe(true);
  return { status: res.status, text: JSON.stringify(body) };
}

/** The same credential with its secret changed, so that no tenant has it (same shape). */
const forged = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).map(([k, value]) => [k, value.replace(/[0-9a-f](?=[^0-9a-f]*$)/, (c) => (c === '0' ? '1' : '0'))]),
  );

describe.each(all.map((d) => [d.name, d] as const))('%s', (_name, dialect) => {
  it("another dialect's credential: a 401 in this provider's envelope naming both, the same whether the key exists or not", async () => {
    const other = dialect === dialects.wooshpay ? dialects.meteroid : dialects.wooshpay;
    const real = await refused(dialect, authOf(other));
    expect(real.status).toBe(401);
    expect(real.text).toContain(`${title(dialect.name)} takes`);
    expect(real.text).toContain(title(other.name));
    // The hint is a sentence of its own after the provider's message, not "Unauthorized The credential…".
    expect(real.text).toMatch(/[.!?:] The credential sent is/);
    const fake = await refused(dialect, forged(authOf(other)));
    expect(fake).toEqual(real);
  });
});

describe('hints', () => {
  it("a Connhex token sent to Bigcapital: the token's audience names Connhex", async () => {
    const res = await refused(dialects.bigcapital, { ...authOf(dialects.connhex), 'organization-id': gw.tenant.tenant.id });
    expect(res.status).toBe(401);
    expect(res.text).toContain('The token was issued for Connhex');
  });

  it('Zenskar without its `organisation` header: a 401 that names the header', async () => {
    const { organisation: _, ...key } = authOf(dialects.zenskar) as Record<string, string>;
    const res = await refused(dialects.zenskar, key);
    expect(res.status).toBe(401);
    expect(res.text).toContain('`organisation` header is missing');
  });

  it('Bigcapital: a token without `organization-id` is told to send it; a bc_ key needs none', async () => {
    const jwt = gw.tenant.credentials.bigcapital?.jwt;
    const res = await refused(dialects.bigcapital, { authorization: `Bearer ${jwt}` });
    expect(res.status).toBe(401);
    expect(res.text).toContain('Organization ID is required.');
    expect(res.text).toContain('`organization-id` header');
    const key = await gw.request('/api/customers', { headers: { authorization: `Bearer ${gw.tenant.credentials.bigcapital?.api_key}` } });
    expect(key.status).toBe(200);
  });

  it.each(['connhex', 'bigcapital'] as const)('%s: an expired token is a 401 that says when it expired', async (name) => {
    const issued = decodeJwt(gw.tenant.credentials[name]?.[name === 'connhex' ? 'token' : 'jwt'] ?? '');
    const key = await tenantSigningKey(gw.store, gw.tenant.tenant.id);
    const expired = await new JwtService(gw.config.jwt, gw.store).sign(name, gw.tenant.tenant.id, key, issued, {
      subject: String(issued.sub),
      ttlSeconds: -60,
    });
    const headers = { authorization: `Bearer ${expired}`, 'organization-id': gw.tenant.tenant.id };
    const res = await refused(dialects[name], headers);
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/The token expired at \d{4}-\d\d-\d\dT/);
  });

  it('a well-shaped key that does not verify gets no hint: nothing tells whether it exists', async () => {
    const res = await refused(dialects.wooshpay, forged(authOf(dialects.wooshpay)));
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('takes');
  });
});
