import { createServer } from 'node:http';
import { afterAll, beforeAll, expect } from 'vitest';
import type { DialectName } from '../../dialects/index.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { type TestGateway, testGateway } from './gateway.ts';
import { canonicalOn } from './pairs.ts';
import { addUpstream, createTenant } from './registered.ts';
import { type Provider, type ReplicatingGateway, replicatingGateway, startProvider } from './upstream.ts';

/**
 * A forwarder to `base` (a second custgate playing the provider) that counts the creates (POST to
 * a collection) it passes and can drop the provider's answer to the next one: the provider has
 * committed the customer, the caller hears a reset connection.
 */
export interface LostAnswerForwarder {
  readonly url: string;
  /** Creates the provider received through it. */
  readonly creates: () => number;
  /** Creates that reached it, held ones included (sent by the gateway). */
  readonly arrived: () => number;
  /** Drop the provider's answer to the next create. */
  dropNextCreate(): void;
  /** Hold the next create this long before passing it on: a create still in flight. */
  holdNextCreate(ms: number): void;
  /** Pass creates on without their Idempotency-Key: a provider that has forgotten it (true) or not. */
  forgetKeys(forget: boolean): void;
  close(): Promise<void>;
}

export async function lostAnswerForwarder(base: string): Promise<LostAnswerForwarder> {
  let creates = 0;
  let arrived = 0;
  let drop = false;
  let hold = 0;
  let forget = false;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const isCreate = req.method === 'POST' && !req.url?.includes('/customers/');
    if (isCreate) arrived++;
    const left = (name: string) => name !== 'host' && !(forget && isCreate && name === 'idempotency-key');
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && left(e[0])),
    );
    if (isCreate && hold > 0) {
      const ms = hold;
      hold = 0;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(`${base}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) });
    const text = Buffer.from(await answer.arrayBuffer());
    if (isCreate) {
      creates++;
      if (drop) {
        drop = false;
        req.socket.destroy();
        return;
      }
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    creates: () => creates,
    arrived: () => arrived,
    dropNextCreate: () => {
      drop = true;
    },
    holdNextCreate: (ms) => {
      hold = ms;
    },
    forgetKeys: (value) => {
      forget = value;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A second custgate playing the provider, behind a forwarder, and gateway A (in process) on its own store. */
export interface BehindForwarder {
  readonly provider: Provider;
  readonly forwarder: LostAnswerForwarder;
  readonly gw: TestGateway;
  close(): Promise<void>;
}

export async function behindForwarder(env: Record<string, string>): Promise<BehindForwarder> {
  const provider = await startProvider();
  const forwarder = await lostAnswerForwarder(provider.base);
  const gw = await testGateway(env);
  return {
    provider,
    forwarder,
    gw,
    close: async () => {
      await forwarder.close();
      await provider.process.stop();
    },
  };
}

/** A new tenant of `setup.gw` whose proxy upstream is the provider's `dialect`, through the forwarder. */
export async function proxyTenant(setup: BehindForwarder, dialect: DialectName, name: string) {
  const { gw, forwarder, provider } = setup;
  const tenant = await createTenant(gw.store, gw.config, name);
  await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), tenant.tenant.id, {
    dialect,
    baseUrl: `${forwarder.url}${new URL(provider.baseUrl(dialect)).pathname}`,
    mode: 'proxy',
    credentials: provider.credentials[dialect],
  });
  return tenant;
}

/** Customers the provider holds for its tenant. */
export async function providerCount(provider: Provider): Promise<number> {
  const res = await fetch(`${provider.base}/wooshpay/v1/customers?limit=100`, {
    headers: { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` },
  });
  if (res.status !== 200) throw new Error(`the provider's list answered ${res.status}`);
  return ((await res.json()) as { data: unknown[] }).data.length;
}

/** The provider's own view of the customer A linked to `uuid`, after checking there is exactly one link. */
export async function linkedAtProvider(setup: BehindForwarder, uuid: string) {
  const links = await setup.gw.store.upstreams.linksOf(setup.gw.tenant.tenant.id, uuid);
  expect(links).toHaveLength(1);
  const onB = (path: string, init?: RequestInit) => fetch(`${setup.provider.base}${path}`, init);
  return canonicalOn(onB, links[0]?.remote_id ?? '', setup.provider.credentials.wooshpay.secret_key ?? '');
}

/**
 * For one test file: a second custgate playing the provider behind a lost-answer forwarder, and a
 * replicating gateway (in process) whose failed deliveries wait `retryMs` before their retry, so
 * what the test does next comes before it. Started in beforeAll, stopped in afterAll.
 */
export function lostAnswerRig(retryMs = 4000) {
  const rig = {} as { provider: Provider; forwarder: LostAnswerForwarder; local: ReplicatingGateway };
  beforeAll(async () => {
    rig.provider = await startProvider();
    rig.forwarder = await lostAnswerForwarder(rig.provider.base);
    rig.local = await replicatingGateway({ CUSTGATE_OUTBOX_BASE_DELAY_MS: String(retryMs) });
  });
  afterAll(async () => {
    await rig.local?.store.executor.close();
    await rig.forwarder?.close();
    await rig.provider?.process.stop();
  });
  /** A new tenant mirroring to the provider's `dialect` through the forwarder: its upstream row and a Wooshpay key. */
  const mirrorTenant = async (dialect: DialectName, name: string) => {
    const tenant = await createTenant(rig.local.store, rig.local.config, name);
    const row = await addUpstream(rig.local.store, keyringFor(rig.local.config, rig.local.store.upstreams), tenant.tenant.id, {
      dialect,
      baseUrl: `${rig.forwarder.url}${new URL(rig.provider.baseUrl(dialect)).pathname}`,
      mode: 'mirror',
      credentials: rig.provider.credentials[dialect],
    });
    return { tenant, row, auth: { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` } };
  };
  return Object.assign(rig, { mirrorTenant });
}
