import { afterAll, beforeAll } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AnyDialect, IssuedCredentials } from '../../src/contract/dialect.ts';
import { type DialectName, dialects } from '../../dialects/index.ts';
import type { UpstreamMode } from '../../src/store/index.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { addUpstream, type CreatedTenant, createApp, createTenant, replicationFor } from './registered.ts';
import { type GatewayProcess, startGatewayProcess } from './processes.ts';
import { testDatabaseEnv } from './store.ts';
import { testEnv } from './gateway.ts';
import { type GatewayConfig, loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/entries/node.ts';
import type { Dispatcher } from '../../src/outbox/dispatcher.ts';
import type { Store } from '../../src/store/index.ts';

// A second custgate process playing the upstream provider (it serves every dialect faithfully),
// with a tenant made by its CLI: what a migrating service's real provider account looks like.

export interface Provider {
  readonly process: GatewayProcess;
  readonly base: string;
  readonly env: Record<string, string>;
  readonly tenantId: string;
  readonly credentials: Record<DialectName, IssuedCredentials>;
  /** The base URL an upstream of this dialect is given (the dialect's prefix on this process). */
  baseUrl(dialect: DialectName): string;
}

export async function startProvider(extraEnv: Record<string, string> = {}): Promise<Provider> {
  const env = { NODE_ENV: 'test', ...testDatabaseEnv(), ...extraEnv };
  // The tenant first, made here as `custgate tenant create` makes it (the CLI's own tests run that
  // command): a CLI process would cost another start of the whole program, 2–3 s of CPU per provider.
  const store = await openStore(env);
  const created = await createTenant(store, loadConfig(env), 'provider-account').finally(() => store.executor.close());
  const process = await startGatewayProcess(env);
  const prefixes = { wooshpay: '/wooshpay', connhex: '/connhex', meteroid: '/meteroid', bigcapital: '/bigcapital', zenskar: '/zenskar' };
  return {
    process,
    base: process.base,
    env,
    tenantId: created.tenant.id,
    credentials: created.credentials as Record<DialectName, IssuedCredentials>,
    baseUrl: (dialect) => `${process.base}${prefixes[dialect]}`,
  };
}

/**
 * A provider process and this gateway's store for a test file: started before its tests and closed
 * after them (registered with beforeAll/afterAll where it is called).
 */
export function providerRig(): { readonly provider: Provider; readonly store: Store; readonly env: Record<string, string> } {
  let provider: Provider | undefined;
  let store: Store | undefined;
  const env = { ...testDatabaseEnv(), ...testEnv };
  beforeAll(async () => {
    provider = await startProvider();
    store = await openStore(env);
  }, 120_000);
  afterAll(async () => {
    await store?.executor.close();
    await provider?.process.stop();
  });
  return {
    get provider() {
      if (!provider) throw new Error('the provider starts in beforeAll');
      return provider;
    },
    get store() {
      if (!store) throw new Error('the store opens in beforeAll');
      return store;
    },
    env,
  };
}

/** An HTTP server that accepts connections and never answers: the upstream that hangs. */
export async function hangingServer(): Promise<{ readonly url: string; close(): Promise<void> }> {
  const open = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((_req, res) => {
    open.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The provider's own refusal of a request body, answered in place of forwarding it. */
export type Refusal = (body: string, url: string) => { readonly status: number; readonly body: unknown } | undefined;

/**
 * A forwarding HTTP proxy in front of a provider that can be taken down (connections are cut, as
 * when the provider's host is gone) and brought back, on the same address. `before` may hold a
 * request (by its path) until the test lets it through; `refuse` answers a body as a stricter
 * provider would, instead of forwarding it; `answer` rewrites the provider's answer (a provider
 * holding what this one's API would not take).
 */
export async function switchableProxy(
  target: string,
  options: {
    readonly before?: (url: string) => Promise<void>;
    readonly refuse?: Refusal;
    readonly answer?: (body: string, url: string) => string;
  } = {},
): Promise<{ readonly url: string; down(): void; up(): void; close(): Promise<void> }> {
  let isDown = false;
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    await options.before?.(req.url ?? '/');
    if (isDown) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const refused = options.refuse?.(Buffer.concat(chunks).toString('utf8'), req.url ?? '/');
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(refused.body));
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'),
    );
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    const text = Buffer.from(await answer.arrayBuffer());
    res.end(options.answer ? options.answer(text.toString('utf8'), req.url ?? '/') : text);
  };
  // A request its client gave up on while held (its timeout) has nothing left to answer.
  const server: Server = createServer((req, res) => void forward(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    down: () => {
      isDown = true;
      server.closeIdleConnections();
    },
    up: () => {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gateway in this process whose mirror and shadow deliveries go out only when a test drains them. */
export interface ReplicatingGateway {
  readonly store: Store;
  readonly env: Record<string, string>;
  readonly config: GatewayConfig;
  readonly dispatcher: Dispatcher;
  /** Every request its deliveries sent: where, and with which Content-Type. */
  readonly sent: { readonly url: string; readonly contentType: string | null }[];
  request(path: string, init?: RequestInit): Promise<Response>;
}

/** `dialects`: the client halves its deliveries use (default: the registry's), for a test that stands in its own. */
export async function replicatingGateway(
  extraEnv: Record<string, string> = {},
  dialects?: readonly AnyDialect[],
): Promise<ReplicatingGateway> {
  const env = { ...testDatabaseEnv(), ...testEnv, ...extraEnv };
  const store = await openStore(env);
  const config = loadConfig(env);
  const logger = { error: () => undefined };
  const sent: ReplicatingGateway['sent'] = [];
  const fetchSeen = (input: string, init: RequestInit) => {
    sent.push({ url: input, contentType: new Headers(init.headers).get('content-type') });
    return fetch(input, init);
  };
  const replication = replicationFor(store, config, { logger, fetch: fetchSeen, ...(dialects ? { dialects } : {}) });
  const app = createApp({ store, config, logger, replication: { ...replication, drainAfterWrite: false } });
  return { store, env, config, dispatcher: replication.dispatcher, sent, request: async (path, init) => app.request(path, init) };
}

/**
 * Per upstream dialect, a tenant of `local` whose one upstream (of `mode`) is `provider` in that
 * dialect: the set-up every pairs test shares.
 */
export async function tenantsPerUpstream(
  local: { readonly store: Store; readonly config: GatewayConfig },
  provider: Provider,
  mode: UpstreamMode,
): Promise<Map<DialectName, CreatedTenant>> {
  const keyring = keyringFor(local.config, local.store.upstreams);
  const tenants = new Map<DialectName, CreatedTenant>();
  for (const dialect of Object.keys(dialects) as DialectName[]) {
    const tenant = await createTenant(local.store, local.config, `${mode}-to-${dialect}`);
    await addUpstream(local.store, keyring, tenant.tenant.id, {
      dialect,
      baseUrl: provider.baseUrl(dialect),
      mode,
      credentials: provider.credentials[dialect],
    });
    tenants.set(dialect, tenant);
  }
  return tenants;
}

/** A provider process and a replicating gateway for a file's tests: started before them, stopped after. */
export function providerAndGateway(
  extraEnv: Record<string, string> = {},
  dialects?: readonly AnyDialect[],
): {
  readonly provider: Provider;
  readonly gw: ReplicatingGateway;
} {
  const rig = {} as { provider: Provider; gw: ReplicatingGateway };
  beforeAll(async () => {
    rig.provider = await startProvider();
    rig.gw = await replicatingGateway(extraEnv, dialects);
  }, 120_000);
  afterAll(async () => {
    await rig.gw?.store.executor.close();
    await rig.provider?.process.stop();
  });
  return rig;
}

/** Customers made at the provider through its Wooshpay API (`body` for the i-th): their ids there, in order. */
export async function fillBook(provider: Provider, count: number, body: (i: number) => Record<string, unknown>): Promise<string[]> {
  const headers = { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}`, 'content-type': 'application/json' };
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers`, { method: 'POST', headers, body: JSON.stringify(body(i)) });
    if (res.status !== 200) throw new Error(`the provider refused customer ${i}: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

/**
 * A tenant of the gateway on `store` with the provider's Wooshpay account as a mirror upstream at
 * `baseUrl` (a proxy in front of it, say), and the path and key that import it over HTTP.
 */
export async function importingTenant(store: Store, env: Record<string, string>, provider: Provider, name: string, baseUrl: string) {
  const config = loadConfig(env);
  const created = await createTenant(store, config, name);
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect: 'wooshpay',
    baseUrl,
    mode: 'mirror',
    credentials: provider.credentials.wooshpay,
  });
  const auth = { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` };
  return { tenantId: created.tenant.id, upstreamId: upstream.id, auth, path: `/gateway/v1/upstreams/${upstream.id}/import` };
}
