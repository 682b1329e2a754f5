import { queryBuilder } from './compiler.ts';
import type { Step } from './executor.ts';
import type { Store } from './store.ts';

// A dev-server reset (`custgate reset`, POST /gateway/v1/reset): one tenant's data goes, its
// tenant row, credentials, signing key and upstreams stay, so a test suite starts again from an
// empty store with the same configuration.

// The webhook tables belong to src/webhooks (migration 0011), which the store does not import;
// only the columns a reset deletes by are named here.
const withWebhooks = (store: Store) =>
  queryBuilder(store.executor.backend).withTables<{
    webhook_deliveries: { tenant_id: string; customer_id: string };
    webhook_attempts: { tenant_id: string };
    webhook_endpoints: { tenant_id: string; failures: number; held_until: string | null; held_rounds: number };
    tenants: { id: string; reset_generation: number };
  }>();

/** Tables emptied for the tenant, children before the rows they name. */
const emptied = [
  // A reset tenant's events must not still be sent (its endpoints stay, their deliveries and log go).
  'webhook_deliveries',
  'webhook_attempts',
  'upstream_webhook_events',
  'outbox',
  'shadow_diffs',
  'shadow_checks',
  'upstream_imports',
  'upstream_import_conflicts',
  'upstream_import_refusals',
  'upstream_create_attempts',
  'upstream_links',
  'idempotency_keys',
  'customer_events',
  'customers',
] as const;

/**
 * What this process keeps in memory for a tenant beside the store (a dev server's simulated-failure
 * counts) is forgotten with a reset: each app on a store listens here. A reset by another process
 * (`custgate reset` beside a running server) reaches the store only.
 */
const listeners = new WeakMap<Store, Set<(tenantId: string) => void>>();

/** Calls `listener` after each reset of a tenant through `store` in this process; returns how to stop. */
export function onReset(store: Store, listener: (tenantId: string) => void): () => void {
  const set = listeners.get(store) ?? new Set();
  listeners.set(store, set);
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * Resets through a store in this process, counted: a delivery round reads the count before it
 * leases its rows and, before it logs their attempts, asks whether their tenant was reset since
 * (src/webhooks/dispatcher.ts). A Map look-up in memory, not a query per delivery. The count moves
 * before the reset's commit is queued, so a round that saw the old count queued its own commit
 * first, and the reset deletes what it logged.
 */
const generations = new WeakMap<Store, { count: number; readonly last: Map<string, number> }>();

const generationOf = (store: Store) => {
  const found = generations.get(store);
  if (found) return found;
  const made = { count: 0, last: new Map<string, number>() };
  generations.set(store, made);
  return made;
};

/** How many resets this process has made through `store`. */
export const resetGeneration = (store: Store): number => generations.get(store)?.count ?? 0;

/** Whether `tenantId` was reset through `store` in this process after `generation` was read. */
export function resetSince(store: Store, tenantId: string, generation: number): boolean {
  const g = generations.get(store);
  return g !== undefined && g.count !== generation && (g.last.get(tenantId) ?? 0) > generation;
}

export interface ResetReport {
  /** Customers the tenant had. */
  readonly customers: number;
}

/**
 * A reset's answer, the same from `POST /gateway/v1/reset` and `custgate reset --json`: the tenant,
 * what went, and the fixtures loaded again after it by name (their answers), where any were.
 */
export const resetAnswer = (
  tenant: { readonly id: string; readonly name: string },
  deleted: ResetReport,
  fixtures: Readonly<Record<string, unknown>> | undefined,
) => ({ object: 'reset' as const, tenant: { id: tenant.id, name: tenant.name }, deleted, ...(fixtures ? { fixtures } : {}) });

/** How long a reset waits for the delivery rounds holding its tenant's row (each holds it for one commit). */
const resetLockWaitMs = 30_000;

/** Deletes the tenant's customers, their events, links, deliveries and shadow checks, and its idempotency keys: all or nothing. */
export async function resetTenant(store: Store, tenantId: string): Promise<ResetReport> {
  const db = withWebhooks(store);
  const counted = db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .compile();
  const customers = Number((await store.executor.all(counted))[0]?.n ?? 0);
  const steps: Step[] = emptied.map((table) => ({ query: db.deleteFrom(table).where('tenant_id', '=', tenantId).compile() }));
  // An endpoint's given-up deliveries in a row (src/webhooks/dispatcher.ts) were the deliveries deleted
  // here: their count goes with them, or the next failure after a reset would disable it early.
  // A disabled endpoint stays disabled until it is enabled. Its hold, about those deliveries too,
  // ends: for every process on the store, which reads it with the endpoint (src/webhooks/dispatcher.ts).
  const ended = { failures: 0, held_until: null, held_rounds: 0 };
  steps.push({ query: db.updateTable('webhook_endpoints').set(ended).where('tenant_id', '=', tenantId).compile() });
  // A delivery round logs its attempts only under the generation it leased under (src/webhooks/store.ts, settleRound).
  steps.push({
    query: db
      .updateTable('tenants')
      .set((eb) => ({ reset_generation: eb('reset_generation', '+', 1) }))
      .where('id', '=', tenantId)
      .compile(),
  });
  const generation = generationOf(store);
  generation.last.set(tenantId, ++generation.count);
  const executor = store.executor;
  if (executor.exclusive) {
    // PostgreSQL runs a unit as one statement on one snapshot: one taken before a round's commit
    // (on another connection) would not see the attempts it logs. The tenant's row, locked first,
    // waits for a round holding it; the deletes, a statement after, see what that round committed.
    const locked = db.selectFrom('tenants').select('id').where('id', '=', tenantId).forUpdate().compile();
    await executor.exclusive(locked, () => ({ steps, value: undefined }), resetLockWaitMs);
  } else {
    await executor.atomic(steps);
  }
  for (const listener of listeners.get(store) ?? []) listener(tenantId);
  return { customers };
}

/** The tables whose rows name one customer (`customer_id`), children before the customer. */
const perCustomer = [
  'webhook_deliveries',
  'outbox',
  'shadow_diffs',
  'shadow_checks',
  'upstream_create_attempts',
  'upstream_links',
  'customer_events',
  'customers',
] as const satisfies readonly (typeof emptied)[number][];

/** Deletes these customers of the tenant with everything recorded for them, in one atomic unit. */
export async function deleteCustomers(store: Store, tenantId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const db = withWebhooks(store);
  const steps: Step[] = perCustomer.map((table) =>
    table === 'customers'
      ? { query: db.deleteFrom(table).where('tenant_id', '=', tenantId).where('id', 'in', ids).compile() }
      : { query: db.deleteFrom(table).where('tenant_id', '=', tenantId).where('customer_id', 'in', ids).compile() },
  );
  await store.executor.atomic(steps);
}
