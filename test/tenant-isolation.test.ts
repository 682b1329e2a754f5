import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { randomBase62 } from '../src/core/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { collectionPath } from './support/dialect-harness.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { addUpstream, mintToken } from './support/registered.ts';

// Tenant isolation on every route that takes an id. Tenant B holds one of each thing an id names
// (customers by UUID, `cus_…`, number, Meteroid alias and Zenskar external_id; an upstream, its
// import; webhook endpoints of both kinds; a simulate rule; an event). Tenant A calls every such
// route, read from the app's own route table (so a route added later is walked too), and each
// dialect's customer routes by every id kind it resolves, once with B's id and once with an id of
// the same shape that nobody holds: the two answers must be the same, status and body (the id
// itself aside), and never a success. Afterwards B's things are as they were.

const downUrl = 'http://127.0.0.1:9';

let gw: TestGateway;
/** B's id of each kind, and a same-shaped one nobody holds. */
const pairs: Record<string, { theirs: string; nobody: string }> = {};
let snapshot: () => Promise<unknown>;

const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');
/** A's credentials; its Connhex token may delete too, so a delete reaches the id's lookup. */
let connhexA: Record<string, string>;
const asA = (d: AnyDialect) => (d.name === 'connhex' ? connhexA : fixturesOf(d).auth(gw.tenant.credentials[d.name]!));
const asB = (d: AnyDialect) => fixturesOf(d).auth(gw.other.credentials[d.name]!);
const gatewayA = () => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` });
const gatewayB = () => ({ authorization: `Bearer ${gw.other.credentials.wooshpay!.secret_key}` });

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBeLessThan(300);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  gw = await testGateway();
  const { wooshpay, meteroid, zenskar } = dialects;
  const token = await mintToken(gw.store, gw.config, gw.tenant.tenant, dialects.connhex, { permissions: ['pay:customers:*'] });
  connhexA = { authorization: `Bearer ${token}` };
  // A holds one customer (number 1); B three, so B's number 3 is a number A has not.
  await json(gw.request(collectionPath(wooshpay), jsonInit('POST', { name: 'A only' }, asA(wooshpay))));
  for (const name of ['B one', 'B two']) await json(gw.request(collectionPath(wooshpay), jsonInit('POST', { name }, asB(wooshpay))));
  const alias = `b-alias-${randomBase62(8)}`;
  const created = await json<{ id: string }>(
    gw.request(collectionPath(meteroid), jsonInit('POST', { ...(fixturesOf(meteroid).create as object), alias }, asB(meteroid))),
  );
  const b = await json<{ ids: Record<string, string | number> }>(
    gw.request(`/gateway/v1/customers/${created.id}`, { headers: gatewayB() }),
  );
  const external = `b-ext-${randomBase62(8)}`;
  await json(gw.request(`${collectionPath(zenskar)}/${b.ids.uuid}`, jsonInit('PATCH', { external_id: external }, asB(zenskar))));
  pairs.uuid = { theirs: b.ids.uuid as string, nobody: crypto.randomUUID() };
  pairs.public_id = { theirs: b.ids.public_id as string, nobody: `cus_${randomBase62(14)}` };
  pairs.number = { theirs: String(b.ids.number), nobody: '999999' };
  pairs.alias = { theirs: alias, nobody: `b-alias-${randomBase62(8)}` };
  pairs.external_id = { theirs: external, nobody: `b-ext-${randomBase62(8)}` };

  const keyring = keyringFor(gw.config, gw.store.upstreams);
  const upstream = await addUpstream(gw.store, keyring, gw.other.tenant.id, {
    dialect: 'wooshpay',
    baseUrl: downUrl,
    mode: 'mirror',
    credentials: { secret_key: 'sk_test_down0000000000' },
  });
  pairs.upstream = { theirs: upstream.id, nobody: `ups_${randomBase62(20)}` };
  // B's import of it (its provider is down: the job fails, and its state is B's to read).
  await json(gw.request(`/gateway/v1/upstreams/${upstream.id}/import`, jsonInit('POST', {}, gatewayB())));
  const endpoint = await json<{ id: string }>(
    gw.request('/gateway/v1/webhook_endpoints', jsonInit('POST', { url: `${downUrl}/hook` }, gatewayB())),
  );
  pairs.endpoint = { theirs: endpoint.id, nobody: `we_${randomBase62(24)}` };
  const stripe = await json<{ id: string }>(
    gw.request('/v1/webhook_endpoints', {
      method: 'POST',
      headers: { ...gatewayB(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `url=${encodeURIComponent(`${downUrl}/stripe`)}`,
    }),
  );
  pairs.stripeEndpoint = { theirs: stripe.id, nobody: `we_${randomBase62(24)}` };
  const rule = await json<{ id: string }>(
    gw.request('/gateway/v1/simulate', jsonInit('POST', { status: '503', path: '/nowhere' }, gatewayB())),
  );
  pairs.rule = { theirs: rule.id, nobody: `sim_${randomBase62(14)}` };
  const events = await json<{ data: { id: string }[] }>(gw.request('/v1/events', { headers: gatewayB() }));
  const event = events.data[0]!.id;
  pairs.event = { theirs: event, nobody: event.replace(/^evt_[0-9a-f]{32}/, `evt_${hex(16)}`) };

  // Everything of B's an answer could show, read with B's own credentials.
  snapshot = async () => ({
    events: await json(gw.request(`/gateway/v1/customers/${pairs.uuid!.theirs}/events`, { headers: gatewayB() })),
    customer: await json(gw.request(`/gateway/v1/customers/${pairs.uuid!.theirs}`, { headers: gatewayB() })),
    upstream: await json(gw.request(`/gateway/v1/upstreams/${pairs.upstream!.theirs}`, { headers: gatewayB() })),
    endpoints: await json(gw.request('/gateway/v1/webhook_endpoints', { headers: gatewayB() })),
    rules: await json(gw.request('/gateway/v1/simulate', { headers: gatewayB() })),
    count: await gw.store.countCustomers(gw.other.tenant.id),
  });
});

/** The id kinds a parameter of a route names, by the path it is in. */
function kindsOf(path: string, param: string): string[] {
  if (param === 'ref' || param === 'customer') return ['uuid', 'public_id', 'number', 'alias', 'external_id'];
  if (path.includes('/upstreams/')) return ['upstream'];
  if (path.includes('/simulate/')) return ['rule'];
  if (path.includes('/events/')) return ['event'];
  if (path.includes('/webhook_endpoints/'))
    return path.startsWith('/gateway/') ? ['endpoint', 'stripeEndpoint'] : ['stripeEndpoint', 'endpoint'];
  throw new Error(`no id kind for :${param} in ${path}: add it to the isolation suite`);
}

/** What a write route is sent: a body it takes, so the request reaches the id's lookup. */
function bodyFor(method: string, path: string): RequestInit {
  if (method === 'GET' || method === 'DELETE') return {};
  if (path.startsWith('/gateway/')) {
    const body = path.endsWith('/upstreams/:id') ? { mode: 'mirror' } : {};
    return { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  }
  return { body: 'description=hijacked', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

/** `text` with every whole occurrence of `id` as `<id>`: B's number 3 is not the 3 inside another id. */
const whole = (text: string, id: string) =>
  text.replace(new RegExp(`(?<![A-Za-z0-9_-])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-])`, 'g'), '<id>');

/** The answer with the id it was asked about (and its request id) taken out. */
async function seen(res: Response, id: string): Promise<{ status: number; body: string }> {
  const text = await res.text();
  return {
    status: res.status,
    body: whole(whole(text, id), encodeURIComponent(id)).replace(/"req_[A-Za-z0-9]+"/g, '"<req>"'),
  };
}

describe("tenant A's credentials on tenant B's ids", () => {
  it('every gateway and webhook route that takes an id answers as for an id nobody holds, and changes nothing of B', async () => {
    const before = await snapshot();
    const walked: string[] = [];
    const seenRoutes = new Set<string>();
    for (const r of gw.app.routes) {
      const key = `${r.method} ${r.path}`;
      if (r.method === 'ALL' || r.path.endsWith('*') || !r.path.includes('/:') || seenRoutes.has(key)) continue;
      seenRoutes.add(key);
      // Customer routes of the dialects are walked below, by the id kinds each dialect resolves.
      if (!r.path.startsWith('/gateway/') && !/\/(webhook_endpoints|events)\//.test(r.path)) continue;
      const dialect = Object.values(dialects).find((d) => r.path.startsWith(`${d.routes.prefix}/`)) ?? dialects.wooshpay;
      const headers = r.path.startsWith('/gateway/') ? gatewayA() : asA(dialect);
      const params = [...r.path.matchAll(/:([a-z]+)/g)].map((m) => m[1]!);
      for (const [i, param] of params.entries()) {
        for (const kind of kindsOf(r.path, param)) {
          const pair = pairs[kind]!;
          const at = (id: string) =>
            r.path.replace(/:([a-z]+)/g, (_m, name: string) =>
              name === param ? encodeURIComponent(id) : encodeURIComponent(pairs[kindsOf(r.path, name)[0]!]!.nobody),
            );
          const init = bodyFor(r.method, r.path);
          const send = (id: string) =>
            gw.request(at(id), { method: r.method, ...init, headers: { ...headers, ...(init.headers as object) } });
          const theirs = await seen(await send(pair.theirs), pair.theirs);
          const nobody = await seen(await send(pair.nobody), pair.nobody);
          const what = `${key} :${param}=${kind} (${i})`;
          expect(theirs, what).toEqual(nobody);
          expect(theirs.status, `${what}: ${theirs.body}`).toBeGreaterThanOrEqual(400);
          walked.push(what);
        }
      }
    }
    // The routes the brief names are among those walked.
    for (const part of [
      '/customers/:ref/deliveries',
      '/upstreams/:id/import',
      '/upstreams/:id/promote',
      '/simulate/:id',
      '/webhook_endpoints/:id/roll_secret',
      '/events/:id',
    ]) {
      expect(
        walked.some((w) => w.includes(part)),
        part,
      ).toBe(true);
    }
    expect(await snapshot()).toEqual(before);
  });

  it.each((Object.values(dialects) as AnyDialect[]).map((d) => [d.name, d] as const))(
    '%s: read, update and delete by each id kind it resolves',
    async (_name, dialect) => {
      const before = await snapshot();
      for (const kind of dialect.ids) {
        const pair = pairs[kind]!;
        const methods = ['GET', dialect.routes.update, ...(dialect.wire.delete ? ['DELETE'] : [])];
        for (const method of methods) {
          const send = (id: string) =>
            gw.request(
              `${collectionPath(dialect)}/${encodeURIComponent(id)}`,
              method === 'GET' || method === 'DELETE'
                ? { method, headers: asA(dialect) }
                : jsonInit(method, fixturesOf(dialect).setName('Hijacked'), asA(dialect)),
            );
          const theirs = await seen(await send(pair.theirs), pair.theirs);
          const nobody = await seen(await send(pair.nobody), pair.nobody);
          expect(theirs, `${method} ${kind}`).toEqual(nobody);
          expect(theirs.status, `${method} ${kind}: ${theirs.body}`).toBe(404);
        }
      }
      expect(await snapshot()).toEqual(before);
    },
  );
});
