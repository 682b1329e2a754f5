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
import { addUpstream, createApp } from './support/registered.ts';
import type { Provider } from './support/upstream.ts';

// The first proxied write of a customer from before the upstream was added creates it there. One
// request at a time owns that create (src/upstream/attempts.ts): a second write of the customer
// meanwhile sends no create of its own, it waits for the owner's link and goes as an update; a
// record whose owner crashed is taken over; and a create recorded longer ago than the provider
// keeps its Idempotency-Key (Stripe: 24 hours) is looked for before it is sent again. Gateway A
// (in process) proxies to B, a second custgate playing the provider, through a forwarder that
// counts creates and can hold, drop or strip the key of the next one.

let setup: BehindForwarder;
let provider: Provider;
let gw: TestGateway;
let forwarder: LostAnswerForwarder;

beforeAll(async () => {
  setup = await behindForwarder({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000' });
  ({ provider, gw, forwarder } = setup);
}, 180_000);

afterAll(async () => {
  await setup?.close();
});

async function proxyTo(dialect: DialectName): Promise<() => Promise<void>> {
  const row = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.tenant.tenant.id, {
    dialect,
    baseUrl: `${forwarder.url}${new URL(provider.baseUrl(dialect)).pathname}`,
    mode: 'proxy',
    credentials: provider.credentials[dialect],
  });
  return async () => {
    await removeUpstream(gw.store, gw.tenant.tenant.id, row.id);
  };
}

async function write(body: unknown, id?: string) {
  const d = dialects.wooshpay;
  const auth = fixturesOf(d).auth(gw.tenant.credentials.wooshpay ?? {});
  const res = await gw.request(`/wooshpay/v1/customers${id === undefined ? '' : `/${id}`}`, jsonInit('POST', body, auth));
  return { status: res.status, text: await res.text() };
}

const providerCount = () => countAt(provider);

/** A customer made before any upstream: its first proxied write creates it there. */
async function before(name: string): Promise<{ id: string; uuid: string }> {
  const made = await write({ name, email: 'before@example.com' });
  expect(made.status).toBe(200);
  const id = (JSON.parse(made.text) as { id: string }).id;
  return { id, uuid: (await gw.canonical(id)).ids.uuid as string };
}

const linkedAtB = (uuid: string) => linkedAtProvider(setup, uuid);

/** Sets columns of the customer's stored create record, as a crashed process or the passing of time leaves it. */
async function setRecord(uuid: string, values: { claim_id?: string; claimed_until?: string; attempted_at?: string }) {
  const db = queryBuilder(gw.store.executor.backend);
  const q = db
    .updateTable('upstream_create_attempts')
    .set(values)
    .where('tenant_id', '=', gw.tenant.tenant.id)
    .where('customer_id', '=', uuid)
    .compile();
  expect(await gw.store.executor.run(q)).toBe(1);
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('two concurrent first writes of a customer make one customer at the provider', () => {
  it.each(Object.keys(dialects) as DialectName[])(
    'a %s upstream: both answer 200, one create sent, linked once, both changes there',
    async (upstream) => {
      const { id, uuid } = await before(`Pair ${upstream}`);
      const done = await proxyTo(upstream);
      try {
        const [atB, sent] = [await providerCount(), forwarder.creates()];
        // Whichever create goes first is still in flight while the other write arrives.
        forwarder.holdNextCreate(1000);
        const [a, b] = await Promise.all([write({ name: `Pair ${upstream} A` }, id), write({ email: 'pair-b@example.com' }, id)]);
        expect([a.status, b.status], `${a.text} ${b.text}`).toEqual([200, 200]);
        expect(forwarder.creates() - sent).toBe(1);
        expect(await providerCount()).toBe(atB + 1);
        const mine = await gw.canonical(id);
        const theirs = await linkedAtB(uuid);
        expect([mine.name, mine.email]).toEqual([`Pair ${upstream} A`, 'pair-b@example.com']);
        expect([theirs.name, theirs.email]).toEqual([mine.name, mine.email]);
      } finally {
        await done();
      }
    },
    30_000,
  );
});

describe('a create record whose owner is gone', () => {
  it('held by a live claim: a retryable 409 in the client envelope, nothing sent; once its time is out, taken over and recovered', async () => {
    const { id, uuid } = await before('Crashed owner');
    const done = await proxyTo('meteroid');
    try {
      const atB = await providerCount();
      forwarder.dropNextCreate();
      expect((await write({ name: 'Crashed owner 1' }, id)).status).toBe(503);
      expect(await providerCount()).toBe(atB + 1);
      // A process that crashed while sending left its claim standing.
      await setRecord(uuid, { claim_id: 'crashed', claimed_until: new Date(Date.now() + 3_600_000).toISOString() });
      const sent = forwarder.creates();
      const held = await write({ name: 'Crashed owner 2' }, id);
      expect(held.status).toBe(409);
      // Stripe's lock_timeout: the stripe SDK retries a 409.
      expect(JSON.parse(held.text)).toMatchObject({ error: { type: 'invalid_request_error', code: 'lock_timeout' } });
      expect(forwarder.creates()).toBe(sent);
      expect((await gw.canonical(id)).name).toBe('Crashed owner');
      await setRecord(uuid, { claimed_until: ago(1000) });
      const taken = await write({ name: 'Crashed owner 3' }, id);
      expect(taken.status, taken.text).toBe(200);
      expect(forwarder.creates()).toBe(sent);
      expect(await providerCount()).toBe(atB + 1);
      expect((await linkedAtB(uuid)).name).toBe('Crashed owner 3');
    } finally {
      await done();
    }
  }, 30_000);
});

describe('a process whose heartbeat stops landing', () => {
  // Unheard from past its dead_after, the process may be taken for dead and its claim taken over
  // (src/upstream/instance-heartbeat.ts): a create it sent then could be in flight beside the
  // taker's. So it sends none until its renewals land again (src/upstream/proxy.ts).
  it('sends no create: a retryable 503 in the client envelope, nothing at the provider; once renewing, the same write creates one customer', async () => {
    const { id, uuid } = await before('Lost beat');
    const done = await proxyTo('wooshpay');
    let alive = false;
    const app = createApp({
      store: gw.store,
      config: gw.config,
      logger: { error: () => undefined },
      claimOwner: { id: `lost-beat:${crypto.randomUUID().slice(0, 8)}`, live: () => alive },
    });
    const auth = fixturesOf(dialects.wooshpay).auth(gw.tenant.credentials.wooshpay ?? {});
    const send = async () => {
      const res = await app.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Lost beat 1' }, auth));
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { error?: { type?: string } } };
    };
    try {
      const [atB, sent] = [await providerCount(), forwarder.creates()];
      const refused = await send();
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body.error?.type).toBe('api_error');
      expect(forwarder.creates()).toBe(sent);
      expect(await providerCount()).toBe(atB);
      expect((await gw.canonical(id)).name).toBe('Lost beat');
      alive = true;
      const created = await send();
      expect(created.status).toBe(200);
      expect(forwarder.creates()).toBe(sent + 1);
      expect(await providerCount()).toBe(atB + 1);
      expect((await linkedAtB(uuid)).name).toBe('Lost beat 1');
    } finally {
      await done();
    }
  }, 30_000);
});

describe('a create recorded longer ago than the provider keeps its Idempotency-Key', () => {
  it.each(['wooshpay', 'connhex'] as const)(
    'a %s upstream that forgot the key: the customer is found in its list and linked, not created again',
    async (upstream) => {
      const { id, uuid } = await before(`Forgotten ${upstream}`);
      const done = await proxyTo(upstream);
      try {
        const atB = await providerCount();
        forwarder.dropNextCreate();
        expect((await write({ name: `Forgotten ${upstream} 1` }, id)).status).toBe(503);
        expect(await providerCount()).toBe(atB + 1);
        // A day and an hour later: the provider no longer knows the key the create went with.
        await setRecord(uuid, { attempted_at: ago(25 * 3_600_000) });
        forwarder.forgetKeys(true);
        const retry = await write({ name: `Forgotten ${upstream} 2` }, id);
        expect(retry.status, retry.text).toBe(200);
        expect(await providerCount()).toBe(atB + 1);
        expect((await linkedAtB(uuid)).name).toBe(`Forgotten ${upstream} 2`);
      } finally {
        forwarder.forgetKeys(false);
        await done();
      }
    },
    30_000,
  );
});
