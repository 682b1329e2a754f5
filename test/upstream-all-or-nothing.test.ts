import { addUpstream, createTenant } from './support/registered.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { removeUpstream } from '../src/upstream/registry.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, type TestGateway } from './support/gateway.ts';
import {
  type BehindForwarder,
  behindForwarder,
  providerCount as countAt,
  type LostAnswerForwarder,
  linkedAtProvider,
} from './support/lost-answer.ts';
import { canonicalOn } from './support/pairs.ts';
import { type Provider, type ReplicatingGateway, replicatingGateway } from './support/upstream.ts';

// A proxied write is all or nothing: every local check runs before the provider is called, so the
// gateway never refuses a write the provider already committed; and a create whose answer was
// lost (a client's create, or the create an update of a customer from before the upstream makes)
// is recovered on the client's retry with the same Idempotency-Key, never sent twice, at every
// upstream dialect: by its key, its marker, or (Meteroid, Bigcapital) what it sent, in their lists.
// Gateway A (in process) proxies to B, a second custgate playing the provider, through a
// forwarder that counts creates and can drop B's answer.

let setup: BehindForwarder;
let provider: Provider;
let gw: TestGateway;
let forwarder: LostAnswerForwarder;

beforeAll(async () => {
  // Small enough for a body under the request limit to make a customer over the stored limit.
  setup = await behindForwarder({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000', CUSTGATE_MAX_CUSTOMER_BYTES: '4000' });
  ({ provider, gw, forwarder } = setup);
}, 180_000);

afterAll(async () => {
  await setup?.close();
});

/** Makes `dialect` at B the tenant's one proxy upstream. */
async function proxyTo(dialect: DialectName): Promise<() => Promise<void>> {
  const keyring = keyringFor(gw.config, gw.store.upstreams);
  const row = await addUpstream(gw.store, keyring, gw.tenant.tenant.id, {
    dialect,
    baseUrl: `${forwarder.url}${new URL(provider.baseUrl(dialect)).pathname}`,
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

const providerCount = () => countAt(provider);

describe('every local check runs before the provider is called', () => {
  it('a create over the stored size limit is a 413 and the provider never gets it', async () => {
    const done = await proxyTo('zenskar');
    try {
      const [local, sent] = [await localCount(), forwarder.creates()];
      const res = await write('wooshpay', { name: 'Big', description: 'x'.repeat(4500) });
      expect(res.status).toBe(413);
      expect(forwarder.creates()).toBe(sent);
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
      const [local, sent] = [await localCount(), forwarder.creates()];
      const res = await write('zenskar', { customer_name: 'Second', external_id: 'ext-taken-1' });
      expect(res.status).toBe(409);
      expect(forwarder.creates()).toBe(sent);
      expect(await localCount()).toBe(local);
    } finally {
      await done();
    }
  });
});

describe('a create whose answer was lost is recovered on retry, not sent twice', () => {
  it.each(Object.keys(dialects) as DialectName[])(
    'a %s upstream: the retry with the same Idempotency-Key links the one customer the provider holds',
    async (upstream) => {
      const done = await proxyTo(upstream);
      try {
        const [local, atB] = [await localCount(), await providerCount()];
        const key = `lost-answer-${upstream}-${Date.now()}`;
        const body = { name: `Lost Answer ${upstream}`, email: 'lost@example.com' };
        forwarder.dropNextCreate();
        const lost = await write('wooshpay', body, { key });
        expect(lost.status).toBe(503);
        expect(await providerCount()).toBe(atB + 1);
        expect(await localCount()).toBe(local);
        const retry = await write('wooshpay', body, { key });
        expect(retry.status, retry.text).toBe(200);
        expect(await providerCount()).toBe(atB + 1);
        expect(await localCount()).toBe(local + 1);
        const id = (JSON.parse(retry.text) as { id: string }).id;
        const canonical = await gw.canonical(id);
        expect(canonical.email).toBe('lost@example.com');
        expect(await gw.store.upstreams.linksOf(gw.tenant.tenant.id, canonical.ids.uuid as string)).toHaveLength(1);
        // A third try replays the stored answer.
        const again = await write('wooshpay', body, { key });
        expect(again.status).toBe(200);
        expect(JSON.parse(again.text)).toEqual(JSON.parse(retry.text));
        expect(await providerCount()).toBe(atB + 1);
      } finally {
        await done();
      }
    },
    30_000,
  );
});

const linkedAtB = (uuid: string) => linkedAtProvider(setup, uuid);

describe('an update that first creates the customer upstream, whose answer was lost, is recovered on retry', () => {
  // A customer from before the upstream was added has no link: its first proxied write creates it there.
  it.each(Object.keys(dialects) as DialectName[])(
    'a %s upstream: one customer there, linked once, equal to the local one',
    async (upstream) => {
      const made = await write('wooshpay', { name: `Before ${upstream}`, email: 'before@example.com' });
      expect(made.status).toBe(200);
      const id = (JSON.parse(made.text) as { id: string }).id;
      const uuid = (await gw.canonical(id)).ids.uuid as string;
      const done = await proxyTo(upstream);
      try {
        const [local, atB] = [await localCount(), await providerCount()];
        const key = `lost-update-${upstream}-${Date.now()}`;
        const body = { name: `After ${upstream}`, email: 'after@example.com' };
        forwarder.dropNextCreate();
        const lost = await write('wooshpay', body, { key, id });
        expect(lost.status).toBe(503);
        expect(await providerCount()).toBe(atB + 1);
        expect(await gw.store.upstreams.linksOf(gw.tenant.tenant.id, uuid)).toHaveLength(0);
        expect((await gw.canonical(id)).name).toBe(`Before ${upstream}`);
        const retry = await write('wooshpay', body, { key, id });
        expect(retry.status, retry.text).toBe(200);
        expect(await providerCount()).toBe(atB + 1);
        expect(await localCount()).toBe(local);
        const mine = await gw.canonical(id);
        const theirs = await linkedAtB(uuid);
        expect([mine.name, mine.email]).toEqual([`After ${upstream}`, 'after@example.com']);
        expect([theirs.name, theirs.email]).toEqual([mine.name, mine.email]);
      } finally {
        await done();
      }
    },
    30_000,
  );

  // No Idempotency-Key: the create attempt the gateway recorded before sending is what the next
  // write finds. The retry changes the body: a provider taking Idempotency-Key gets the first
  // create again under its key (a key reused with other parameters is refused), then the change.
  it.each(Object.keys(dialects) as DialectName[])(
    'a %s upstream, retried with no Idempotency-Key and a changed body: one customer there, linked once, equal to the local one',
    async (upstream) => {
      const made = await write('wooshpay', { name: `Keyless ${upstream}`, email: 'keyless@example.com' });
      expect(made.status).toBe(200);
      const id = (JSON.parse(made.text) as { id: string }).id;
      const uuid = (await gw.canonical(id)).ids.uuid as string;
      const done = await proxyTo(upstream);
      try {
        const atB = await providerCount();
        forwarder.dropNextCreate();
        expect((await write('wooshpay', { name: `Keyless ${upstream} 1` }, { id })).status).toBe(503);
        expect(await providerCount()).toBe(atB + 1);
        const retry = await write('wooshpay', { name: `Keyless ${upstream} 2`, email: 'second@example.com' }, { id });
        expect(retry.status, retry.text).toBe(200);
        expect(await providerCount()).toBe(atB + 1);
        const mine = await gw.canonical(id);
        const theirs = await linkedAtB(uuid);
        expect([mine.name, mine.email]).toEqual([`Keyless ${upstream} 2`, 'second@example.com']);
        expect([theirs.name, theirs.email]).toEqual([mine.name, mine.email]);
        // Linked: later writes are updates there.
        const later = await write('wooshpay', { name: `Keyless ${upstream} 3` }, { id });
        expect(later.status, later.text).toBe(200);
        expect(await providerCount()).toBe(atB + 1);
        expect((await linkedAtB(uuid)).name).toBe(`Keyless ${upstream} 3`);
      } finally {
        await done();
      }
    },
    30_000,
  );
});

describe('a mirror delivery whose create answer was lost is recovered on its retry, not sent twice', () => {
  let local: ReplicatingGateway;
  beforeAll(async () => {
    local = await replicatingGateway();
  });
  afterAll(async () => {
    await local?.store.executor.close();
  });

  // Meteroid and Bigcapital take no Idempotency-Key and have no field for a marker: the create
  // attempt recorded before sending, and the provider's list, are what the retry has.
  it.each(Object.keys(dialects) as DialectName[])(
    'a %s mirror: one customer there, linked once, equal to the local one',
    async (upstream) => {
      const tenant = await createTenant(local.store, local.config, `lost-mirror-${upstream}`);
      await addUpstream(local.store, keyringFor(local.config, local.store.upstreams), tenant.tenant.id, {
        dialect: upstream,
        baseUrl: `${forwarder.url}${new URL(provider.baseUrl(upstream)).pathname}`,
        mode: 'mirror',
        credentials: provider.credentials[upstream],
      });
      const auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` };
      const made = await local.request(
        '/wooshpay/v1/customers',
        jsonInit('POST', { name: `Mirror ${upstream}`, email: 'm@example.com' }, auth),
      );
      expect(made.status).toBe(200);
      const { id } = (await made.json()) as { id: string };
      const atB = await providerCount();
      const sent = forwarder.creates();
      forwarder.dropNextCreate();
      // The lost answer is a retry. Its backoff (CUSTGATE_OUTBOX_BASE_DELAY_MS, 250–500 ms with
      // jitter) may run out within this drain on a loaded machine, which then delivers it too.
      const first = await local.dispatcher.drain();
      expect(first).toMatchObject({ retried: 1, dead: 0 });
      expect(await providerCount()).toBe(atB + 1);
      let delivered = first.delivered;
      for (const until = Date.now() + 10_000; delivered === 0 && Date.now() < until; ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        delivered = (await local.dispatcher.drain()).delivered;
      }
      expect(delivered).toBe(1);
      expect(await providerCount()).toBe(atB + 1);
      // Stripe-like providers replay the first answer to the same key; the others are never asked twice.
      expect(forwarder.creates() - sent).toBe(dialects[upstream].idempotency ? 2 : 1);
      const uuid = ((await (await local.request(`/gateway/v1/customers/${id}`, { headers: auth })).json()) as { ids: { uuid: string } }).ids
        .uuid;
      const links = await local.store.upstreams.linksOf(tenant.tenant.id, uuid);
      expect(links).toHaveLength(1);
      const onB = (path: string, init?: RequestInit) => fetch(`${provider.base}${path}`, init);
      const theirs = await canonicalOn(onB, links[0]?.remote_id ?? '', provider.credentials.wooshpay.secret_key ?? '');
      expect([theirs.name, theirs.email]).toEqual([`Mirror ${upstream}`, 'm@example.com']);
    },
    30_000,
  );
});
