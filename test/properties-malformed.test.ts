import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { type CanonicalView, collectionPath, errorEnvelopes } from './support/dialect-harness.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { contentTypes, encoded, formText, jsonBody, leaked, oddMethods, oddText, queryText, requestHeaders } from './support/malformed.ts';
import { propertyParameters, propertyTimeout } from './support/property-runs.ts';

// Never a 500, always the dialect's envelope (test/properties-hostile.test.ts sends random bodies
// and headers to one customer path; this sends what a careless client does to every customer route
// of every dialect): bracket-form keys at the decoder's limits, JSON at the depth limit, numbers as
// text and back, NUL and unicode in ids and keys, duplicated and missing content types, odd
// methods, trailing slashes, percent-encoded paths, query strings on writes. Each answer is under
// 500, in the dialect's own error envelope when it refuses, carries no stack or source path, and a
// refusal leaves the tenant's customers (and the other tenant's) as they were.
// CUSTGATE_MALFORMED_RUNS: requests per dialect (default 150); CUSTGATE_PROPERTY_SEED replays one.
const runs = Number(process.env.CUSTGATE_MALFORMED_RUNS ?? 150);

const registered = Object.values(dialects) as AnyDialect[];

type PathForm =
  | 'item'
  | 'slash'
  | 'double'
  | 'encoded'
  | 'upper'
  | 'suffix'
  | 'odd'
  | 'collection'
  | 'collection-slash'
  | 'foreign'
  | 'other-kind';

interface Shape {
  readonly root: boolean;
  readonly form: PathForm;
  readonly odd: string;
  readonly kind: 'uuid' | 'public_id' | 'number';
  readonly method: string;
  readonly query: string;
  readonly types: readonly string[];
  readonly body: string | undefined;
  readonly auth: 'valid' | 'none' | 'other' | 'foreign';
}

/** Every character percent-encoded, as some proxies and clients send a path segment. */
const allEncoded = (text: string) =>
  [...new TextEncoder().encode(text)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

function shapes(dialect: AnyDialect): fc.Arbitrary<Shape> {
  const fx = fixturesOf(dialect);
  const valid = [fx.create, fx.update, fx.setName('Malformed')] as Record<string, unknown>[];
  const heads = [...new Set([...valid.flatMap((b) => Object.keys(b)), 'metadata', 'expand', 'address', 'shipping', 'name'])];
  const body = fc.oneof(
    { weight: 4, arbitrary: jsonBody(valid) },
    // A form is refused unread where the dialect takes JSON only: sent there now and then.
    { weight: dialect.wire.bodies.includes('form') ? 4 : 1, arbitrary: formText(heads) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: oddText },
  );
  return fc.record({
    root: fc.boolean(),
    form: fc.constantFrom<PathForm>(
      'item',
      'item',
      'item',
      'item',
      'item',
      'item',
      'slash',
      'double',
      'encoded',
      'upper',
      'suffix',
      'odd',
      'collection',
      'collection-slash',
      'foreign',
      'other-kind',
    ),
    odd: oddText,
    kind: fc.constantFrom('uuid', 'public_id', 'number'),
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constant(dialect.routes.update) },
      { weight: 1, arbitrary: fc.constant('POST') },
      { weight: 2, arbitrary: oddMethods },
    ),
    query: queryText(heads),
    types: contentTypes,
    body,
    auth: fc.constantFrom('valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'none', 'other', 'foreign'),
  });
}

describe.each(registered.map((d) => [d.name, d] as const))('malformed requests: %s', (_name, dialect) => {
  const fx = fixturesOf(dialect);
  let gw: TestGateway;
  let mine: CanonicalView;
  let theirs: CanonicalView;
  let count: number;
  let envelopes: Map<number, Set<string>>;
  /** Envelopes of every dialect served at the root path the dialect shares (a request without its credential may be another's). */
  let sharedEnvelopes: Map<number, Set<string>>;

  const auth = (which: Shape['auth']): Record<string, string> => {
    if (which === 'valid') return fx.auth(gw.tenant.credentials[dialect.name]!);
    if (which === 'foreign') return fx.auth(gw.other.credentials[dialect.name]!);
    if (which === 'other') return fixturesOf(dialects.wooshpay).auth(gw.tenant.credentials.wooshpay!);
    return {};
  };

  async function created(tenant: TestGateway['tenant']): Promise<CanonicalView> {
    const res = await gw.request(collectionPath(dialect), jsonInit('POST', fx.create, fx.auth(tenant.credentials[dialect.name]!)));
    expect(res.status, await res.clone().text()).toBe(dialect.wire.createdStatus);
    const ref = fx.idOf(await res.json());
    const view = await (tenant === gw.tenant ? gw.canonical(ref) : foreignView(ref));
    return view;
  }

  async function foreignView(ref: string): Promise<CanonicalView> {
    const res = await gw.request(`/gateway/v1/customers/${encodeURIComponent(ref)}`, {
      headers: { authorization: `Bearer ${gw.other.credentials.wooshpay!.secret_key}` },
    });
    return (await res.json()) as CanonicalView;
  }

  beforeAll(async () => {
    gw = await testGateway();
    mine = await created(gw.tenant);
    theirs = await created(gw.other);
    count = await gw.store.countCustomers(gw.tenant.tenant.id);
    envelopes = errorEnvelopes(dialect);
    sharedEnvelopes = new Map();
    for (const d of registered.filter((d) => d.routes.root === 'shared' && d.routes.collection === dialect.routes.collection)) {
      for (const [status, keys] of errorEnvelopes(d))
        sharedEnvelopes.set(status, new Set([...(sharedEnvelopes.get(status) ?? []), ...keys]));
    }
  });

  function pathOf(s: Shape): string {
    const base = s.root && dialect.routes.root !== false ? dialect.routes.collection : collectionPath(dialect);
    const ids = { uuid: mine.ids.uuid as string, public_id: mine.ids.public_id as string, number: mine.ids.number as number };
    const ref = fx.ref(ids);
    switch (s.form) {
      case 'item':
        return `${base}/${encodeURIComponent(ref)}`;
      case 'slash':
        return `${base}/${encodeURIComponent(ref)}/`;
      case 'double':
        return `${base}//${encodeURIComponent(ref)}`;
      case 'encoded':
        return `${base}/${allEncoded(ref)}`;
      case 'upper':
        return `${base}/${encodeURIComponent(ref.toUpperCase())}`;
      case 'suffix':
        return `${base}/${encodeURIComponent(ref)}${encoded(s.odd)}`;
      case 'odd':
        return `${base}/${encoded(s.odd)}`;
      case 'collection':
        return base;
      case 'collection-slash':
        return `${base}/`;
      case 'foreign':
        return `${base}/${encodeURIComponent(fx.ref(theirs.ids as typeof ids))}`;
      case 'other-kind':
        return `${base}/${encodeURIComponent(String(ids[s.kind]))}`;
    }
  }

  it('answers a path under its collection that no route takes in its own envelope, with or without a credential', async () => {
    const ref = encodeURIComponent(fx.ref(mine.ids as { uuid: string; public_id: string; number: number }));
    const bases = [collectionPath(dialect), ...(dialect.routes.root === true ? [dialect.routes.collection] : [])];
    for (const base of bases) {
      for (const path of [`${base}/${ref}/`, `${base}//${ref}`, `${base}/${ref}/extra`]) {
        for (const headers of [{}, auth('valid')]) {
          const res = await gw.request(path, { method: dialect.routes.update, headers });
          const text = await res.text();
          const keys = Object.keys(JSON.parse(text) as object)
            .sort()
            .join(',');
          expect(
            [...(envelopes.get(res.status) ?? [])],
            `${path} ${Object.keys(headers).length > 0 ? 'with' : 'without'} a credential: ${res.status} ${text}`,
          ).toContain(keys);
        }
      }
    }
  });

  it('never answers 5xx, refuses in its own envelope with no stack, and writes nothing it refuses', {
    timeout: propertyTimeout(60_000, runs, 150),
  }, async () => {
    await fc.assert(
      fc.asyncProperty(shapes(dialect), async (s) => {
        const path = `${pathOf(s)}${s.query}`;
        const bodied = s.method !== 'GET' && s.method !== 'HEAD' && s.body !== undefined;
        const init: RequestInit = { method: s.method, headers: requestHeaders(s.types, auth(s.auth)), ...(bodied ? { body: s.body } : {}) };
        const what = `${s.method} ${path} [${s.types.join(' | ')}] ${s.auth} ${bodied ? (s.body ?? '').slice(0, 300) : ''}`;
        const res = await gw.request(path, init);
        const text = await res.text();
        expect(res.status, `${what}\n-> ${text}`).toBeLessThan(500);
        expect(text, what).not.toMatch(leaked);
        const accepted = res.status < 300;
        if (res.status >= 400 && s.method !== 'HEAD') {
          const keys = Object.keys(JSON.parse(text) as object)
            .sort()
            .join(',');
          const shared = s.root && dialect.routes.root === 'shared' && s.auth !== 'valid';
          const allowed = (shared ? sharedEnvelopes : envelopes).get(res.status) ?? new Set();
          expect([...allowed], `${what}\n-> ${res.status} ${text}`).toContain(keys);
        }
        // Accepted: what it wrote is the state later refusals are held to; a delete takes a new customer.
        if (accepted && s.auth === 'foreign') {
          theirs = s.method === 'DELETE' ? await created(gw.other) : await foreignView(theirs.ids.uuid as string);
        } else if (accepted) {
          mine = s.method === 'DELETE' ? await created(gw.tenant) : await gw.canonical(mine.ids.uuid as string);
          count = await gw.store.countCustomers(gw.tenant.tenant.id);
        }
        // A refusal (or the other tenant's write) leaves this tenant's customers as they were, and
        // nothing sent with this tenant's credentials reaches the other tenant's customer.
        expect(await gw.canonical(mine.ids.uuid as string), `${what}\n-> ${res.status} ${text}`).toEqual(mine);
        expect(await gw.store.countCustomers(gw.tenant.tenant.id), what).toBe(count);
        expect(await foreignView(theirs.ids.uuid as string), what).toEqual(theirs);
      }),
      propertyParameters(runs),
    );
  });
});
