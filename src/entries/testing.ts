import { registry } from '../../dialects/index.ts';
import { configOf, loadEnv } from '../config.ts';
import { dialectList } from '../contract/registry.ts';
import { type CreatedTenant, createTenant } from '../gateway/tenants.ts';
import type { GivenCredentials } from '../gateway/given-keys.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { resetTenant } from '../store/tenant-reset.ts';
import { openParsedStore, startNode } from './node.ts';
import { checkedForReset, readFixtureFile } from '../cli/fixtures.ts';
import { type FixtureLoad, planFixtures } from '../gateway/fixtures.ts';

// `import { startGateway } from 'custgate/testing'`: a whole gateway for a test suite, on an
// in-memory SQLite store and a free port of 127.0.0.1, with the tenants (and, where given, the
// credentials) the suite's configuration names; stopped, it leaves nothing behind.

export interface TestTenant {
  /** API keys to use instead of generated ones, by dialect (`{ wooshpay: 'sk_test_…' }`). */
  readonly keys?: Readonly<Record<string, string>>;
  /** The tenant's UUID (Zenskar's `organisation`, Bigcapital's `organization-id`). */
  readonly organisation?: string;
  /** Customers to create in it: a fixture file's path (JSON or YAML), or its content (docs/dev-server.md). */
  readonly fixtures?: string | { readonly fixtures: readonly unknown[] };
}

export interface StartGatewayOptions {
  /** Tenants by name (default: one tenant, `test`, with generated credentials). */
  readonly tenants?: Readonly<Record<string, TestTenant>>;
  /** Gateway settings (the variables of docs/operations.md); NODE_ENV defaults to `test`, the log to silent, CUSTGATE_AUTH_FAILURE_LIMIT to 0 (off). */
  readonly env?: Readonly<Record<string, string>>;
  /** Port on 127.0.0.1 (default: a free one). */
  readonly port?: number;
}

export interface StartedGateway {
  /** `http://127.0.0.1:<port>`: every dialect's base URL is this plus its prefix (`/wooshpay`…). */
  readonly url: string;
  readonly port: number;
  /** Each tenant's id and credentials, by the name it was given. */
  readonly tenants: Readonly<Record<string, CreatedTenant>>;
  /** Each tenant's fixtures as their dialects answered them, by tenant name, then fixture name (after a reset, the reloaded ones). */
  readonly fixtures: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Empties a tenant's customers, events, idempotency keys and outbox, then loads its fixtures again (default: every tenant). */
  reset(tenant?: string): Promise<void>;
  /** Stops the server and discards the store. */
  stop(): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<StartedGateway> {
  const env = {
    NODE_ENV: 'test',
    CUSTGATE_LOG_LEVEL: 'silent',
    // Every client of a test gateway is 127.0.0.1: the failed-authentication limit per address
    // (docs/security.md) would turn one test's refused credentials into 429s for every tenant.
    CUSTGATE_AUTH_FAILURE_LIMIT: '0',
    ...options.env,
    DATABASE_URL: ':memory:',
  };
  const parsed = loadEnv(env);
  const store = await openParsedStore(parsed);
  const config = configOf(parsed);
  const all = dialectList(registry);
  const tenants: Record<string, CreatedTenant> = {};
  const fixtures: Record<string, Readonly<Record<string, unknown>>> = {};
  // A tenant's fixtures, read (a path again each time) and every one checked as the load will create
  // it, before anything is emptied; loaded at start and again after each reset of it: a reset leaves
  // the tenant as a fresh start would (docs/dev-server.md), with the new answers in `fixtures`.
  const planFor = async (name: string, tenantId: string): Promise<FixtureLoad | undefined> => {
    const wanted = options.tenants?.[name]?.fixtures;
    if (typeof wanted === 'string') return (await readFixtureFile(config, all, wanted))(tenantId);
    return wanted ? planFixtures(config, { id: tenantId }, wanted, all) : undefined;
  };
  const loadInto = async (name: string, load: FixtureLoad | undefined): Promise<void> => {
    if (load) fixtures[name] = (await load(store)).customers;
  };
  try {
    for (const [name, wanted] of Object.entries(options.tenants ?? { test: {} })) {
      const given: GivenCredentials = {
        ...(wanted.keys ? { keys: wanted.keys } : {}),
        ...(wanted.organisation ? { tenantId: wanted.organisation.toLowerCase() } : {}),
      };
      const created = await createTenant(store, config, name, { given, dialects: all });
      tenants[name] = created;
      await loadInto(name, await planFor(name, created.tenant.id));
    }
  } catch (error) {
    await store.executor.close();
    throw error;
  }
  // POST /gateway/v1/reset loads a tenant's fixtures again too, as gateway.reset() does.
  const resetFixtures = async (tenantId: string) => {
    const name = Object.keys(tenants).find((n) => tenants[n]?.tenant.id === tenantId);
    if (name === undefined || options.tenants?.[name]?.fixtures === undefined) return undefined;
    const load = await checkedForReset(`tenant ${name}'s fixtures`, () => planFor(name, tenantId));
    return async () => {
      await loadInto(name, load);
      return fixtures[name] ?? {};
    };
  };
  const gateway = await startNode(env, { port: options.port ?? 0, hostname: '127.0.0.1', store, resetFixtures });
  return {
    url: `http://127.0.0.1:${gateway.port}`,
    port: gateway.port,
    tenants,
    fixtures,
    async reset(tenant) {
      const names = tenant === undefined ? Object.keys(tenants) : [tenant];
      // Every tenant's fixtures checked before any tenant is emptied.
      const planned: [string, string, FixtureLoad | undefined][] = [];
      for (const name of names) {
        const id = tenants[name]?.tenant.id ?? (await findTenant(store, name)).id;
        planned.push([name, id, await planFor(name, id)]);
      }
      for (const [name, id, load] of planned) {
        await resetTenant(store, id);
        await loadInto(name, load);
      }
    },
    stop: () => gateway.close(),
  };
}
