import { type Registry, registry as shipped } from '../../dialects/index.ts';
import { type GatewayConfig, loadConfig } from '../../src/config.ts';
import { type CreatedTenant, createApp, createTenant, type GatewayApp } from './registered.ts';
import { dialectList } from '../../src/contract/registry.ts';
import type { Store } from '../../src/store/index.ts';
import { testStore } from './store.ts';

// No CUSTGATE_JWT_SECRET: tests run the default, each tenant's own random key in the store.
export const testEnv = {
  NODE_ENV: 'test',
  CUSTGATE_PROBE_TOKEN: 'test-probe-token-0123456789abcdef',
} as const;

/** The operator's header for /metrics and the detailed health (CUSTGATE_PROBE_TOKEN). */
export const probeAuth = { authorization: `Bearer ${testEnv.CUSTGATE_PROBE_TOKEN}` } as const;

/** The tenant's stored JWT signing key, for tests that sign tokens of their own. */
export async function tenantSigningKey(store: Store, tenantId: string): Promise<Uint8Array> {
  const row = await store.findSigningKey(tenantId);
  if (!row) throw new Error(`tenant ${tenantId} has no signing key`);
  return new Uint8Array(Buffer.from(row.secret, 'base64url'));
}

export interface TestGateway {
  readonly app: GatewayApp;
  readonly store: Store;
  readonly config: GatewayConfig;
  /** The dialects it serves, with their fixtures. */
  readonly registry: Registry;
  /** Two tenants: what one writes, the other must never see. */
  readonly tenant: CreatedTenant;
  readonly other: CreatedTenant;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** The canonical customer through the gateway API, as tenant `tenant` sees it. */
  canonical(ref: string): Promise<Record<string, unknown> & { ids: Record<string, unknown>; version: number }>;
}

/**
 * Tenant names are unique per database, and the Workers project shares one D1 database across a
 * file's gateways: a name already taken there gets a suffix.
 */
async function freeName(store: Store, name: string): Promise<string> {
  const [taken] = await store.findTenantsByName(name);
  return taken ? `${name}-${crypto.randomUUID().slice(0, 8)}` : name;
}

/** A gateway on a fresh store with two tenants; `registry`: the dialects to serve (default: all). */
export async function testGateway(env: Record<string, string> = {}, registry?: Registry): Promise<TestGateway> {
  const store = await testStore(env);
  const config = loadConfig({ ...testEnv, ...env });
  const app = createApp({ store, config, logger: { error: () => undefined }, ...(registry ? { registry } : {}) });
  const tenant = await createTenant(store, config, await freeName(store, 'acme'), registry ? { dialects: dialectList(registry) } : {});
  const other = await createTenant(store, config, await freeName(store, 'other'), registry ? { dialects: dialectList(registry) } : {});
  const request = async (path: string, init?: RequestInit) => app.request(path, init);
  const wooshpayKey = tenant.credentials.wooshpay?.secret_key;
  return {
    app,
    store,
    config,
    registry: registry ?? shipped,
    tenant,
    other,
    request,
    async canonical(ref) {
      const res = await request(`/gateway/v1/customers/${encodeURIComponent(ref)}`, {
        headers: { authorization: `Bearer ${wooshpayKey}` },
      });
      if (res.status !== 200) throw new Error(`canonical ${ref}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Awaited<ReturnType<TestGateway['canonical']>>;
    },
  };
}

/** JSON request init with the given headers. */
export function jsonInit(method: string, body: unknown, headers: Record<string, string>): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
