import type { Kysely } from 'kysely';
import { inModeOf } from './cold-queries.ts';
import type { SqlExecutor, Step } from './executor.ts';
import type { Database, ShadowChecksTable, ShadowDiffsTable } from './schema.ts';

// A shadow upstream's comparisons (src/core/shadow-diff.ts records them after each delivery, the
// shadow report reads them): one row a comparison, one a field that differed in it.

export type ShadowCheckRow = ShadowChecksTable;
export type ShadowDiffRow = ShadowDiffsTable;

/** The shadow comparisons' queries, run by the store's executor (Store.shadow). */
export const shadowRepository = (executor: SqlExecutor, db: Kysely<Database>) => ({
  /** A comparison and its differing fields, together. */
  async record(check: ShadowCheckRow, diffs: readonly ShadowDiffRow[]): Promise<void> {
    const steps: Step[] = [{ query: db.insertInto('shadow_checks').values(check).compile() }];
    for (const diff of diffs) steps.push({ query: db.insertInto('shadow_diffs').values(diff).compile() });
    await executor.atomic(steps);
  },

  async checks(tenantId: string): Promise<{ dialect: string; checks: number; mismatched: number }[]> {
    const q = db
      .selectFrom('shadow_checks')
      .select([
        'dialect',
        (eb) => eb.fn.countAll<number>().as('checks'),
        (eb) => eb.fn.sum<number>(eb.case().when('mismatches', '>', 0).then(1).else(0).end()).as('mismatched'),
      ])
      .where('tenant_id', '=', tenantId)
      .groupBy('dialect')
      .compile();
    return (await executor.all(q)).map((r) => ({
      dialect: r.dialect,
      checks: Number(r.checks),
      mismatched: Number(r.mismatched ?? 0),
    }));
  },

  /** `livemode`: only the diffs of customers of that mode (and of those from before modes were recorded). */
  async diffs(
    tenantId: string,
    options: { readonly customerId?: string; readonly limit?: number; readonly livemode?: boolean } = {},
  ): Promise<ShadowDiffRow[]> {
    let q = db.selectFrom('shadow_diffs').selectAll().where('tenant_id', '=', tenantId);
    if (options.customerId !== undefined) q = q.where('customer_id', '=', options.customerId);
    const { livemode } = options;
    if (livemode !== undefined) {
      const inMode = db.selectFrom('customers').select('id').where('tenant_id', '=', tenantId).where(inModeOf(livemode));
      q = q.where('customer_id', 'in', inMode);
    }
    return executor.all(
      q
        .orderBy('created_at', 'desc')
        .limit(options.limit ?? 10_000)
        .compile(),
    );
  },
});

export type ShadowRepository = ReturnType<typeof shadowRepository>;
