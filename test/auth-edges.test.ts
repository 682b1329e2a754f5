import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { collectionPath } from './support/dialect-harness.ts';
import { jsonInit, type TestGateway, tenantSigningKey, testGateway } from './support/gateway.ts';

// Credentials at their edges, through each dialect's real routes: JWTs (Connhex, Bigcapital) with
// `alg: none`, another algorithm, no or a past `exp`, a future `nbf`, another audience or issuer,
// no `sub`, past the size limit; HTTP Basic with no colon, the key as the password, UTF-8, bytes
// that are not base64, a huge user; Meteroid and Zenskar keys with whitespace, another case, a
// prefix of a valid key or one more character. Each is the dialect's own 401 or 403 envelope
// (never a 500), and a wrong credential is answered alike whether or not the tenant it names exists.

let gw: TestGateway;
let keyA: Uint8Array;
beforeAll(async () => {
  gw = await testGateway();
  keyA = await tenantSigningKey(gw.store, gw.tenant.tenant.id);
});

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A customer nobody holds, through the dialect: 404 once authenticated. */
const missing = (d: AnyDialect) =>
  `${collectionPath(d)}/${fixturesOf(d).ref({ uuid: crypto.randomUUID(), public_id: 'cus_nobody0000000000', number: 999999 })}`;

/** The answer, checked to be the dialect's own error envelope (its OpenAPI document's error schema). */
async function answer(d: AnyDialect, headers: Record<string, string>, what: string) {
  const res = await gw.request(missing(d), { headers });
  const text = await res.text();
  expect(res.status, `${d.name} ${what}: ${text}`).toBeLessThan(500);
  expect(v.safeParse(d.wire.openapi.errorResponse, JSON.parse(text)).success, `${d.name} ${what}: ${text}`).toBe(true);
  return { status: res.status, text: text.replace(/"req_[A-Za-z0-9]+"/g, '"<req>"') };
}

type JwtDialect = 'connhex' | 'bigcapital';

interface Token {
  readonly dialect: JwtDialect;
  readonly tenant?: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly key?: Uint8Array | CryptoKey;
  readonly claims?: Record<string, unknown>;
  readonly aud?: string;
  readonly iss?: string;
  readonly exp?: number | string | null;
  readonly nbf?: number;
  readonly sub?: string | null;
}

/** A token shaped as the gateway issues them, signed with tenant A's key unless told otherwise. */
async function token(t: Token): Promise<string> {
  const tenant = t.tenant ?? gw.tenant.tenant.id;
  const claims =
    t.dialect === 'connhex' ? { tenant, permissions: ['pay:customers:get', 'pay:customers:update'] } : { organizations: [tenant] };
  const jwt = new SignJWT({ ...claims, ...t.claims })
    .setProtectedHeader({ alg: t.alg ?? 'HS256', typ: 'JWT', kid: t.kid ?? tenant })
    .setIssuer(t.iss ?? 'custgate')
    .setAudience(t.aud ?? `custgate:${t.dialect}`)
    .setIssuedAt();
  if (t.sub !== null) jwt.setSubject(t.sub ?? 'svc');
  if (t.exp !== null) jwt.setExpirationTime((t.exp ?? '1h') as number | string);
  if (t.nbf !== undefined) jwt.setNotBefore(t.nbf);
  return jwt.sign(t.key ?? keyA);
}

const bearer = (dialect: JwtDialect, jwt: string, org = gw.tenant.tenant.id) => ({
  authorization: `Bearer ${jwt}`,
  ...(dialect === 'bigcapital' ? { 'organization-id': org } : {}),
});

const now = () => Math.floor(Date.now() / 1000);

describe.each(['connhex', 'bigcapital'] as const)('%s JWTs', (name) => {
  const d = dialects[name];

  it('accepts the token as issued (the control)', async () => {
    expect((await answer(d, bearer(name, await token({ dialect: name })), 'control')).status).toBe(404);
  });

  it('refuses alg none, other algorithms, and a token signed with a public-key pair, each a 401 in its envelope', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const { privateKey: ec } = await generateKeyPair('ES256');
    const valid = await token({ dialect: name });
    const [, payload] = valid.split('.');
    const unsigned = (alg: string) => `${b64url(JSON.stringify({ alg, typ: 'JWT', kid: gw.tenant.tenant.id }))}.${payload}.`;
    const cases: [string, string][] = [
      ['alg none', unsigned('none')],
      ['alg None', unsigned('None')],
      ['alg HS256, no signature', unsigned('HS256')],
      ['HS384 with the right key', await token({ dialect: name, alg: 'HS384' })],
      ['HS512 with the right key', await token({ dialect: name, alg: 'HS512' })],
      ['RS256', await token({ dialect: name, alg: 'RS256', key: privateKey })],
      ['ES256', await token({ dialect: name, alg: 'ES256', key: ec })],
      [
        'signature of another token',
        `${valid.split('.').slice(0, 2).join('.')}.${(await token({ dialect: name, sub: 'other' })).split('.')[2]}`,
      ],
    ];
    // The RSA public key as an HMAC secret (the classic RS/HS confusion): no key of ours is public.
    const jwk = await exportJWK((await generateKeyPair('RS256')).publicKey);
    cases.push(['HS256 keyed with a public key', await token({ dialect: name, key: new TextEncoder().encode(JSON.stringify(jwk)) })]);
    for (const [what, jwt] of cases) expect((await answer(d, bearer(name, jwt), what)).status, what).toBe(401);
  });

  it('refuses a token with no exp, a past exp, a future nbf, no sub, another audience or issuer, or past the size limit', async () => {
    const cases: [string, Token][] = [
      ['no exp', { dialect: name, exp: null }],
      ['past exp', { dialect: name, exp: now() - 60 }],
      ['exp as text', { dialect: name, claims: { exp: String(now() + 3600) }, exp: null }],
      ['future nbf', { dialect: name, nbf: now() + 3600 }],
      ['no sub', { dialect: name, sub: null }],
      ['empty sub', { dialect: name, sub: '' }],
      ['another dialect audience', { dialect: name, aud: `custgate:${name === 'connhex' ? 'bigcapital' : 'connhex'}` }],
      ['wooshpay audience', { dialect: name, aud: 'custgate:wooshpay' }],
      ['another issuer', { dialect: name, iss: 'someone-else' }],
      ['a huge claim', { dialect: name, claims: { pad: 'x'.repeat(10_000) } }],
      ['a kid that is not a tenant id', { dialect: name, kid: '../../etc/passwd' }],
      ['a kid of 65 characters', { dialect: name, kid: 'a'.repeat(65) }],
    ];
    for (const [what, t] of cases) expect((await answer(d, bearer(name, await token(t)), what)).status, what).toBe(401);
    // An Authorization header of 200 KB: refused as a credential, not a crash.
    expect((await answer(d, bearer(name, `${'a'.repeat(100_000)}.${'b'.repeat(100_000)}.c`), 'huge')).status).toBe(401);
  });

  it('answers a bad token alike whether the tenant it names exists or not', async () => {
    const stranger = new Uint8Array(32).fill(7);
    const ghost = crypto.randomUUID();
    const known = await answer(d, bearer(name, await token({ dialect: name, key: stranger })), 'known tenant, wrong key');
    const unknown = await answer(d, bearer(name, await token({ dialect: name, key: stranger, tenant: ghost }), ghost), 'unknown tenant');
    expect(known.status).toBe(401);
    expect(unknown).toEqual(known);
    const b = gw.other.tenant.id;
    const ofB = await answer(d, bearer(name, await token({ dialect: name, key: stranger, tenant: b }), b), "B's tenant, wrong key");
    expect(ofB).toEqual(known);
  });
});

describe('Bigcapital organization-id', () => {
  it("a token's organization-id naming another tenant and one naming none get the same answer", async () => {
    const jwt = await token({ dialect: 'bigcapital' });
    const other = await answer(dialects.bigcapital, bearer('bigcapital', jwt, gw.other.tenant.id), 'B');
    const none = await answer(dialects.bigcapital, bearer('bigcapital', jwt, crypto.randomUUID()), 'nobody');
    expect(other.status).toBe(401);
    expect(none).toEqual(other);
  });
});

describe('Wooshpay HTTP Basic', () => {
  it('takes the key as the user with or without a colon; refuses every other encoding with a 401 in its envelope', async () => {
    const key = gw.tenant.credentials.wooshpay!.secret_key!;
    const d = dialects.wooshpay;
    for (const user of [`${key}:`, key, `${key}:ignored-password`]) {
      expect((await answer(d, { authorization: `Basic ${b64(user)}` }, user)).status, user).toBe(404);
    }
    const cases: [string, string][] = [
      ['key as the password', `Basic ${b64(`:${key}`)}`],
      ['UTF-8 in the user', `Basic ${b64(`${key}é:`)}`],
      ['a UTF-8 user', `Basic ${b64('sk_test_ключ:')}`],
      ['not base64', 'Basic !!!not-base64!!!'],
      ['base64 of nothing', 'Basic '],
      ['a colon only', `Basic ${b64(':')}`],
      ['a 100 KB user', `Basic ${b64(`sk_test_${'A'.repeat(100_000)}:`)}`],
      ['NUL in the user', `Basic ${b64(`${key}\u0000:`)}`],
      ['the key upper-cased', `Basic ${b64(`${key.toUpperCase()}:`)}`],
      ['a prefix of the key', `Basic ${b64(`${key.slice(0, -1)}:`)}`],
      ['the key and one more character', `Bearer ${key}x`],
    ];
    for (const [what, authorization] of cases) expect((await answer(d, { authorization }, what)).status, what).toBe(401);
  });
});

describe('API keys: whitespace, case and prefixes', () => {
  it.each(['meteroid', 'zenskar', 'bigcapital', 'wooshpay'] as const)(
    '%s: only the exact key authenticates; the rest is one 401',
    async (name) => {
      const d = dialects[name];
      const headers = fixturesOf(d).auth(gw.tenant.credentials[name]!);
      const header = name === 'zenskar' ? 'x-api-key' : 'authorization';
      const value = headers[header]!;
      const key =
        name === 'zenskar' ? value : name === 'wooshpay' ? gw.tenant.credentials.wooshpay!.secret_key! : value.replace(/^Bearer /, '');
      const as = (k: string) => (name === 'zenskar' ? { ...headers, 'x-api-key': k } : { authorization: `Bearer ${k}` });
      // Surrounding whitespace is not part of a header's value (RFC 9110 §5.5).
      expect((await answer(d, as(` ${key}\t`), 'whitespace around')).status).toBe(404);
      const wrong: [string, string][] = [
        ['upper-cased', key.toUpperCase()],
        ['lower-cased', key.toLowerCase()],
        ['a prefix', key.slice(0, -1)],
        ['half of it', key.slice(0, Math.ceil(key.length / 2))],
        ['one more character', `${key}0`],
        ['a space inside', `${key.slice(0, 10)} ${key.slice(10)}`],
        ['a zero-width space inside', `${key.slice(0, 10)}\u200b${key.slice(10)}`],
      ];
      const answers = [];
      for (const [what, k] of wrong) {
        if (k === key) continue;
        let res: { status: number; text: string };
        try {
          res = await answer(d, as(k), what);
        } catch (error) {
          // A header value fetch itself refuses (a character HTTP cannot carry) never reaches a server.
          if (error instanceof TypeError) continue;
          throw error;
        }
        expect(res.status, what).toBe(401);
        answers.push(res);
      }
      // A key of the right shape that is nobody's: the same answer as the near misses of a real one.
      expect(new Set(answers.map((a) => a.text)).size, JSON.stringify(answers)).toBeLessThanOrEqual(2);
    },
  );

  it("Zenskar: a valid key with another tenant's organisation and with a made-up one get the same 403", async () => {
    const d = dialects.zenskar;
    const headers = fixturesOf(d).auth(gw.tenant.credentials.zenskar!);
    const other = await answer(d, { ...headers, organisation: gw.other.tenant.id }, 'B');
    const none = await answer(d, { ...headers, organisation: crypto.randomUUID() }, 'nobody');
    expect(other.status).toBe(403);
    expect(none).toEqual(other);
    // Its own organisation in capitals is still its own (UUIDs are case-insensitive).
    expect((await answer(d, { ...headers, organisation: gw.tenant.tenant.id.toUpperCase() }, 'upper')).status).toBe(404);
  });
});

describe('Connhex tenant claim', () => {
  it('a token whose tenant claim is its own id in capitals acts for its own tenant', async () => {
    const upper = gw.tenant.tenant.id.toUpperCase();
    const jwt = await token({ dialect: 'connhex', tenant: upper, kid: gw.tenant.tenant.id });
    const res = await gw.request(collectionPath(dialects.connhex), jsonInit('POST', { name: 'Upper tenant' }, bearer('connhex', jwt)));
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const id = (JSON.parse(text) as { id: string }).id;
    // The same customer, through another credential of the same tenant; and the token reads the
    // tenant's customers (before: it saw an empty tenant, 404 for each, and every write was a 401).
    expect((await gw.canonical(id)).name).toBe('Upper tenant');
    const created = await gw.request(
      collectionPath(dialects.wooshpay),
      jsonInit('POST', { name: 'Through a key' }, fixturesOf(dialects.wooshpay).auth(gw.tenant.credentials.wooshpay!)),
    );
    const other = ((await created.json()) as { id: string }).id;
    const read = await gw.request(`${collectionPath(dialects.connhex)}/${other}`, { headers: bearer('connhex', jwt) });
    expect(read.status, await read.clone().text()).toBe(200);
  });
});
