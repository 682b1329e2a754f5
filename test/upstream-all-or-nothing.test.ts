import { addUpstream } from './support/registered.ts';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { removeUpstream } from '../src/upstream/registry.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// A proxied write is all or nothing: every local check runs before the provider is called, so the
// gateway never refuses a write the provider already committed; and a create whose answer was
// lost is recovered on the client's retry with the same Idempotency-Key, never sent twice.
// Gateway A (in process) proxies to B, a second custgate playing the provider, through a
// forwarder that counts creates and can drop B's answer.

let provider: Provider;
let gw: TestGateway;
let forwarder: Server;
let forwarderUrl = '';
/** Creates (POST) B received. */
let creates = 0;
/** Drop B's answer to the next create (B has committed it; A hears a reset connection). */
let dropNextCreate = false;

beforeAll(async () => {
  provider = await startProvider();
  forwarder = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'),
    );
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(`${provider.base}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) });
    const text = Buffer.from(await answer.arrayBuffer());
    if (req.method === 'POST' && !req.url?.includes('/customers/')) {
      creates++;
      if (dropNextCreate) {
        dropNextCreate = false;
        req.socket.destroy();
        return;
      }
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
  const address = forwarder.address();
  forwarderUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // Small enough for a body under the request limit to make a customer over the stored limit.
  gw = await testGateway({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000', CUSTGATE_MAX_CUSTOMER_BYTES: '4000' });
}, 180_000);

afterAll(async () => {
  forwarder?.closeAllConnections();
  await new Promise<void>((resolve) => forwarder?.close(() => resolve()));
  await provider?.process.stop();
});

/** Makes `dialect` at B the tenant's one proxy upstream. */
async function proxyTo(dialect: DialectName): Promise<() => Promise<void>> {
  const keyring = keyringFor(gw.config, gw.store.upstreams);
  const row = await addUpstream(gw.store, keyring, gw.tenant.tenant.id, {
    dialect,
    baseUrl: `${forwarderUrl}${new URL(provider.baseUrl(dialect)).pathname}`,
    mode: 'proxy',
    credentials: provider.credentials[dialect],
  });
  return async () => {
    await removeUpstream(gw.store, gw.tenant.tenant.id, row.id);
  };
}

async function write(client: DialectName, body: unknown, options: { key?: string; id?: string } = {}) {
  const d = dialects[client];
  const auth = fixturesOf(d).auth(gw.tenant.credentials[client] ?? {});
  const headers = options.key === undefined ? auth : { ...auth, 'idempotency-key': options.key };
  const path = `${d.routes.prefix}${d.routes.collection}${options.id === undefined ? '' : `/${options.id}`}`;
  const res = await gw.request(path, jsonInit(options.id === undefined ? 'POST' : d.routes.update, body, headers));
  return { status: res.status, text: await res.text() };
}

async function localCount(): Promise<number> {
  const db = queryBuilder(gw.store.executor.backend);
  const q = db.selectFrom('customers').select('id').where('tenant_id', '=', gw.tenant.tenant.id).compile();
  return (await gw.store.executor.all(q)).length;
}

/** Customers B holds for its tenant. */
async function providerCount(): Promise<number> {
  const res = await fetch(`${provider.base}/wooshpay/v1/customers?limit=100`, {
    headers: { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: unknown[] }).data.length;
}

describe('every local check runs before the provider is called', () => {
  it('a create over the stored size limit is a 413 and the provider never gets it', async () => {
    const done = await proxyTo('zenskar');
    try {
      const [local, sent] = [await localCount(), creates];
      const res = await write('wooshpay', { name: 'Big', description: 'x'.repeat(4500) });
      expect(res.status).toBe(413);
      expect(creates).toBe(sent);
      expect(await localCount()).toBe(local);
    } finally {
      await done();
    }
  });

  it('an update that would pass the stored size limit is a 413 and the provider keeps its copy', async () => {
    const done = await proxyTo('zenskar');
    try {
      const created = await write('wooshpay', { name: 'Grows', description: 'short' });
      expect(created.status).toBe(200);
      const id = (JSON.parse(created.text) as { id: string }).id;
      const res = await write('wooshpay', { description: 'y'.repeat(4500) }, { id });
      expect(res.status).toBe(413);
      const links = await gw.store.upstreams.linksOf(gw.tenant.tenant.id, (await gw.canonical(id)).ids.uuid as string);
      const remote = links[0]?.remote_id ?? '';
      const atB = await fetch(`${provider.baseUrl('zenskar')}/customers/${remote}`, {
        headers: fixturesOf(dialects.zenskar).auth(provider.credentials.zenskar),
      });
      expect(((await atB.json()) as { description?: string }).description ?? 'short').toBe('short');
    } finally {
      await done();
    }
  });

  it('an external_id another local customer has is a 409 before the provider is called', async () => {
    const done = await proxyTo('meteroid');
    try {
      const first = await write('zenskar', { customer_name: 'Owner', external_id: 'ext-taken-1' });
      expect(first.status).toBe(200);
      const [local, sent] = [await localCount(), creates];
      const res = await write('zenskar', { customer_name: 'Second', external_id: 'ext-taken-1' });
      expect(res.status).toBe(409);
      expect(creates).toBe(sent);
      expect(await localCount()).toBe(local);
    } finally {
      await done();
    }
  });
});

describe('a create whose answer was lost is recovered on retry, not sent twice', () => {
  it.each(['zenskar', 'wooshpay'] as const)(
    'a %s upstream: the retry with the same Idempotency-Key links the one customer the provider holds',
    async (upstream) => {
      const done = await proxyTo(upstream);
      try {
        const [local, atB] = [await localCount(), await providerCount()];
        const key = `lost-answer-${upstream}-${Date.now()}`;
        dropNextCreate = true;
        const lost = await write('wooshpay', { name: 'Lost Answer', email: 'lost@example.com' }, { key });
        expect(lost.status).toBe(503);
        expect(await providerCount()).toBe(atB + 1);
        expect(await localCount()).toBe(local);
        const retry = await write('wooshpay', { name: 'Lost Answer', email: 'lost@example.com' }, { key });
        expect(retry.status).toBe(200);
        expect(await providerCount()).toBe(atB + 1);
        expect(await localCount()).toBe(local + 1);
        const id = (JSON.parse(retry.text) as { id: string }).id;
        const canonical = await gw.canonical(id);
        expect(canonical.email).toBe('lost@example.com');
        expect(await gw.store.upstreams.linksOf(gw.tenant.tenant.id, canonical.ids.uuid as string)).toHaveLength(1);
        // A third try replays the stored answer.
        const again = await write('wooshpay', { name: 'Lost Answer', email: 'lost@example.com' }, { key });
        expect(again.status).toBe(200);
        expect(JSON.parse(again.text)).toEqual(JSON.parse(retry.text));
        expect(await providerCount()).toBe(atB + 1);
      } finally {
        await done();
      }
    },
    30_000,
  );

  it('a provider with no way to find it (Meteroid) is not sent the create again: the key answers 502', async () => {
    const done = await proxyTo('meteroid');
    try {
      const [local, atB, sent] = [await localCount(), await providerCount(), creates];
      const key = `lost-answer-meteroid-${Date.now()}`;
      dropNextCreate = true;
      const lost = await write('wooshpay', { name: 'Lost Meteroid', email: 'm@example.com' }, { key });
      expect(lost.status).toBe(503);
      const retry = await write('wooshpay', { name: 'Lost Meteroid', email: 'm@example.com' }, { key });
      expect(retry.status).toBe(502);
      expect(retry.text).toContain('not sent again');
      expect(creates).toBe(sent + 1);
      expect(await providerCount()).toBe(atB + 1);
      expect(await localCount()).toBe(local);
      // Another key is another request: sent.
      const fresh = await write('wooshpay', { name: 'Lost Meteroid', email: 'm@example.com' }, { key: `${key}-new` });
      expect(fresh.status).toBe(200);
    } finally {
      await done();
    }
  });
});
