import { queryBuilder } from './compiler.ts';
import type { SimulateRulesTable } from './schema.ts';
import type { Store } from './store.ts';

// A tenant's simulate rules (`custgate simulate …`, /gateway/v1/simulate): few, dev-only, read by
// the server through a short cache (src/http/simulate-rules.ts), so built per call.

export type SimulateRuleRow = SimulateRulesTable;

export async function insertSimulateRule(store: Store, row: SimulateRuleRow): Promise<void> {
  const db = queryBuilder(store.executor.backend);
  await store.executor.run(db.insertInto('simulate_rules').values(row).compile());
}

/** The tenant's rules, oldest first: the first that matches a request decides. */
export async function listSimulateRules(store: Store, tenantId: string): Promise<SimulateRuleRow[]> {
  const db = queryBuilder(store.executor.backend);
  const q = db.selectFrom('simulate_rules').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id');
  return store.executor.all(q.compile());
}

/** Removes one of the tenant's rules; false when the tenant has no rule with that id. */
export async function deleteSimulateRule(store: Store, tenantId: string, id: string): Promise<boolean> {
  const db = queryBuilder(store.executor.backend);
  const q = db.deleteFrom('simulate_rules').where('tenant_id', '=', tenantId).where('id', '=', id);
  return (await store.executor.run(q.compile())) > 0;
}

/** A rule as the CLI and the API show it. */
export const ruleView = (row: SimulateRuleRow) => ({
  id: row.id,
  object: 'simulate_rule',
  status: row.simulate,
  path: row.path,
  method: row.method,
  every: row.every,
  times: row.times,
  created_at: row.created_at,
});
