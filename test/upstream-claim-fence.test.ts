import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { Store } from '../src/store/index.ts';
import { type Heartbeat, startHeartbeat } from '../src/upstream/instance-heartbeat.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { providerCount } from './support/lost-answer.ts';
import { addUpstream, createApp, createTenant } from './support/registered.ts';
import { testStore } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// The fence on a create claim taken over (src/store/create-attempts.ts `rewrite`, migrating.md
// "Proxy mode"): a request holding a customer's create record whose process is then taken for
// dead loses the claim to the next write; when its own send finally returns, it must not rewrite
// the record the taker now holds (the taker's create may be in flight under it, and the record is
// what recovers that create if its answer is lost). It steps back as contended and answers the
// client's retryable 409.
//
// Gateways A and B are in-process apps on one store, each with its own heartbeat row: A's stops
// while its recovery look-up is held at the forwarder, B takes the claim over once A's
// `dead_after` passes and sends its create (held too), then A's look-up answer is let through.
// The provider is a custgate process playing Zenskar, whose creates carry a marker (no key), so a
// take-over recovers by look-up and then rewrites the record before it creates.

interface Gate {
  /** Answer the held request with a definitive refusal (400) instead of forwarding it. */
  refuse?: boolean;
  readonly reached: Promise<void>;
  arrived(): void;
  readonly released: Promise<void>;
  release(): void;
}

function gate(): Gate {
  let arrived: () => void = () => undefined;
  let release: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { reached, arrived, released, release };
}

/** The provider behind a forwarder that can drop the next create unsent, hold (or hold, then refuse) the next create, or hold the next GET's answer. */
async function forwarderTo(base: string) {
  const control: { dropCreate: boolean; holdCreate?: Gate | undefined; holdAnswerOfGet?: Gate | undefined } = { dropCreate: false };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const isCreate = req.method === 'POST' && !req.url?.includes('/customers/');
    if (isCreate && control.dropCreate) {
      // Never reaches the provider: the sender cannot tell, and keeps its record.
      control.dropCreate = false;
      req.socket.destroy();
      return;
    }
    const createHold = isCreate ? control.holdCreate : undefined;
    if (createHold) {
      control.holdCreate = undefined;
      createHold.arrived();
      await createHold.released;
      if (createHold.refuse) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'refused by the test' }));
        return;
      }
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'),
    );
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(`${base}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) });
    const text = Buffer.from(await answer.arrayBuffer());
    // The provider has answered (as of now); the answer reaches the gateway only when released.
    const getHold = req.method === 'GET' ? control.holdAnswerOfGet : undefined;
    if (getHold) {
      control.holdAnswerOfGet = undefined;
      getHold.arrived();
      await getHold.released;
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    control,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let provider: Provider;
let forwarder: Awaited<ReturnType<typeof forwarderTo>>;
const beats: Heartbeat[] = [];

beforeAll(async () => {
  provider = await startProvider();
  forwarder = await forwarderTo(provider.base);
}, 180_000);

afterAll(async () => {
  for (const beat of beats) beat.stop();
  await forwarder?.close();
  await provider?.process.stop();
});

/**
 * A customer whose first proxied create never reached the provider (its record stands, held by no
 * one), and gateways A and B on the same store with their own heartbeats: A's short (dead 3 × 100 ms
 * + 200 ms after its last renewal once it stops), B's long. The gateways' upstream time-out is long,
 * so A's held request outlives A's `dead_after`, as a stalled process's would.
 */
async function scenario(name: string) {
  const env = { ...testEnv, CUSTGATE_UPSTREAM_TIMEOUT_MS: '30000' };
  const store: Store = await testStore(env);
  const config = loadConfig(env);
  const tenant = await createTenant(store, config, name);
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` };
  const plain = createApp({ store, config, logger: { error: () => undefined } });
  const made = await plain.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Before' }, auth));
  expect(made.status).toBe(200);
  const id = ((await made.json()) as { id: string }).id;
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
    dialect: 'zenskar',
    baseUrl: `${forwarder.url}${new URL(provider.baseUrl('zenskar')).pathname}`,
    mode: 'proxy',
    credentials: provider.credentials.zenskar,
  });
  const write = async (app: typeof plain, name: string) => {
    const res = await app.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name }, auth));
    return { status: res.status, text: await res.text() };
  };
  const records = () => store.attempts.list(tenant.tenant.id, upstream.id, 10);
  const atProvider = await providerCount(provider);

  forwarder.control.dropCreate = true;
  expect((await write(plain, 'First')).status).toBe(503);
  const unheld = await records();
  expect(unheld.map((r) => r.claim_id)).toEqual([null]);

  const beatA = (await startHeartbeat(store, { heartbeatMs: 100, upstreamTimeoutMs: 200 }))!;
  const beatB = (await startHeartbeat(store, { heartbeatMs: 1000, upstreamTimeoutMs: 30_000 }))!;
  beats.push(beatA, beatB);
  const a = createApp({ store, config, logger: { error: () => undefined }, claimOwner: beatA });
  const b = createApp({ store, config, logger: { error: () => undefined }, claimOwner: beatB });
  return { store, tenant, upstream, write, records, atProvider, beatA, beatB, a, b };
}

describe('a create claim taken over from a process taken for dead', () => {
  it('is not rewritten by that process when its own send returns: it answers 409, the taker creates once', async () => {
    const { store, tenant, upstream, write, records, atProvider, beatA, beatB, a, b } = await scenario('fence');
    const record = async () => {
      const rows = await records();
      expect(rows).toHaveLength(1);
      return rows[0]!;
    };

    // A takes the record over and looks for what the first create left; the answer is held.
    const lookup = gate();
    forwarder.control.holdAnswerOfGet = lookup;
    const answeredA = write(a, 'From A');
    await lookup.reached;
    expect((await record()).claim_owner).toBe(beatA.id);

    // A's heartbeat stops; once its `dead_after` passes, B takes the claim over and sends its create (held).
    beatA.stop();
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const row = await record();
      if (row.owner_dead_after !== null && row.owner_dead_after < new Date().toISOString()) break;
      await sleep(50);
    }
    const create = gate();
    forwarder.control.holdCreate = create;
    const answeredB = write(b, 'From B');
    await create.reached;
    const taken = await record();
    expect(taken.claim_owner).toBe(beatB.id);
    expect(JSON.parse(taken.sent)).toMatchObject({ name: 'From B' });

    // A's look-up returns (nothing found): the claim is no longer A's, so A writes nothing and steps back.
    lookup.release();
    const fromA = await answeredA;
    const after = await record();
    expect({ id: after.claim_id, owner: after.claim_owner, at: after.attempted_at, sent: after.sent }).toEqual({
      id: taken.claim_id,
      owner: beatB.id,
      at: taken.attempted_at,
      sent: taken.sent,
    });
    expect(fromA.status, fromA.text).toBe(409);

    // B's create goes through: one customer at the provider, linked, the record gone with the link.
    create.release();
    const fromB = await answeredB;
    expect(fromB.status, fromB.text).toBe(200);
    expect(await providerCount(provider)).toBe(atProvider + 1);
    expect(await store.attempts.list(tenant.tenant.id, upstream.id, 10)).toEqual([]);
    expect(await store.upstreams.linksOf(tenant.tenant.id, taken.customer_id)).toHaveLength(1);
  }, 120_000);

  it('is not deleted by that process when its own send is then refused: the taker keeps its record', async () => {
    // settleRefused (src/upstream/attempts.ts) drops a record once the provider definitively refused
    // the create; a request taken for dead must drop only under its own claim, not the taker's.
    const { write, records, atProvider, beatA, beatB, a, b } = await scenario('fence-refused');

    // A recovers (its look-up finds nothing), rewrites the record under its claim and sends its create: held.
    const createA: Gate = gate();
    forwarder.control.holdCreate = createA;
    const answeredA = write(a, 'From A');
    await createA.reached;
    expect((await records())[0]?.claim_owner).toBe(beatA.id);

    // A is taken for dead; B takes the record over and sends its own create (held).
    beatA.stop();
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const row = (await records())[0];
      if (row?.owner_dead_after != null && row.owner_dead_after < new Date().toISOString()) break;
      await sleep(50);
    }
    const createB = gate();
    forwarder.control.holdCreate = createB;
    const answeredB = write(b, 'From B');
    await createB.reached;
    const taken = (await records())[0]!;
    expect(taken.claim_owner).toBe(beatB.id);

    // A's create is refused: A fails, and B's record stands, claim and all.
    createA.refuse = true;
    createA.release();
    const fromA = await answeredA;
    expect(fromA.status, fromA.text).not.toBe(200);
    const after = await records();
    expect(after.map((r) => ({ id: r.claim_id, owner: r.claim_owner, sent: r.sent }))).toEqual([
      { id: taken.claim_id, owner: beatB.id, sent: taken.sent },
    ]);

    createB.release();
    const fromB = await answeredB;
    expect(fromB.status, fromB.text).toBe(200);
    expect(await providerCount(provider)).toBe(atProvider + 1);
    expect(await records()).toEqual([]);
  }, 120_000);
});
