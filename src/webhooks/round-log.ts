import { type Kysely, sql } from 'kysely';
import type { SqlExecutor, Step } from '../store/index.ts';
import { chunked } from '../store/lease.ts';
import type { AttemptRow, WebhookDatabase, WebhookDeliveryKey } from './tables.ts';

// A delivery round's attempts are logged only under the reset generation their tenant had when the
// round leased them (migration 0047): a reset committed since deleted the rows they were made for,
// and its log must not gain an attempt of before it. On PostgreSQL the round's transaction first
// takes its tenants' rows shared, so a reset (which takes its tenant's row first, exclusively,
// src/store/tenant-reset.ts) waits for the round's commit and then deletes what it logged, or the
// round waits for the reset's and finds the generation moved. Both lock the tenant's row before
// any delivery row, so neither holds what the other waits for. SQLite and D1 commit one unit at a
// time, so the check alone is exact there.

/** The columns of an attempt, in the order the VALUES rows give them. */
const columns = [
  ['id', 'text'],
  ['tenant_id', 'text'],
  ['endpoint_id', 'text'],
  ['event_id', 'text'],
  ['attempt', 'integer'],
  ['status', 'integer'],
  ['error', 'text'],
  ['duration_ms', 'integer'],
  ['created_at', 'text'],
] as const satisfies readonly (readonly [keyof AttemptRow, string])[];

type WithTenants = WebhookDatabase & { tenants: { id: string; reset_generation: number } };

/** Each tenant's reset generation now: read before a round leases its rows. */
export async function resetGenerations(executor: SqlExecutor, db: Kysely<WebhookDatabase>, tenantIds: readonly string[]) {
  const generations = new Map<string, number>();
  if (tenantIds.length === 0) return generations;
  const q = (db as unknown as Kysely<WithTenants>)
    .selectFrom('tenants')
    .select(['id', 'reset_generation'])
    .where('id', 'in', [...new Set(tenantIds)]);
  for (const row of await executor.all(q.compile())) generations.set(row.id, Number(row.reset_generation));
  return generations;
}

/** The steps that log a round's attempts, each tenant's only while its generation is still `generations`' (none known: unconditionally). */
export function attemptSteps(
  executor: SqlExecutor,
  db: Kysely<WebhookDatabase>,
  attempts: readonly AttemptRow[],
  generations: ReadonlyMap<string, number>,
): Step[] {
  const byTenant = new Map<string, AttemptRow[]>();
  for (const a of attempts) byTenant.set(a.tenant_id, [...(byTenant.get(a.tenant_id) ?? []), a]);
  const steps: Step[] = [];
  const names = sql.join(columns.map(([name]) => sql.ref(name)));
  for (const [tenantId, rows] of byTenant) {
    const generation = generations.get(tenantId);
    for (const chunk of chunked(executor.backend, rows, columns.length, 2)) {
      if (generation === undefined) {
        steps.push({ query: db.insertInto('webhook_attempts').values(chunk).compile() });
        continue;
      }
      // Typed by casts: PostgreSQL reads an untyped parameter in VALUES as text.
      const values = sql.join(
        chunk.map((row) => sql`(${sql.join(columns.map(([name, type]) => sql`cast(${row[name]} as ${sql.raw(type)})`))})`),
      );
      const query = sql`insert into webhook_attempts (${names}) select * from (values ${values}) as v
        where exists (select 1 from tenants where id = ${tenantId} and reset_generation = ${generation})`;
      steps.push({ query: query.compile(db) });
    }
  }
  return steps;
}

/**
 * The round's counts of its endpoints' given-up deliveries in a row, in its commit: reset for each
 * that answered, and raised by each delivery it gives up that it (`owner`) still holds, so the
 * count is what the commit settles dead, never a row another holder took over or a reset deleted.
 * One statement per endpoint where the backend allows: PostgreSQL runs a unit as one statement, in
 * which a row updated twice keeps only one of the updates (src/store/pg-combine.ts); D1's parameter
 * limit splits a long list into statements it runs one after another. An endpoint that also
 * answered in the round counts from none, as when it was counted after the commit.
 */
export function countSteps(
  executor: SqlExecutor,
  db: Kysely<WebhookDatabase>,
  round: {
    readonly owner: string;
    readonly now: string;
    readonly recovered: readonly string[];
    readonly givenUp: readonly WebhookDeliveryKey[];
  },
): Step[] {
  const givenUp = new Map<string, WebhookDeliveryKey[]>();
  for (const key of round.givenUp) givenUp.set(key.endpoint_id, [...(givenUp.get(key.endpoint_id) ?? []), key]);
  const steps: Step[] = [];
  const recovered = round.recovered.filter((id) => !givenUp.has(id));
  if (recovered.length > 0) {
    const q = db.updateTable('webhook_endpoints').set({ failures: 0 }).where('id', 'in', recovered).where('failures', '>', 0);
    steps.push({ query: q.compile() });
  }
  for (const [endpointId, keys] of givenUp) {
    for (const [i, part] of chunked(executor.backend, keys, 2, 5).entries()) {
      const rows = sql.join(part.map((k) => sql`(${k.customer_id}, ${k.version})`));
      const held = sql<number>`(select count(*) from webhook_deliveries where endpoint_id = ${endpointId} and lease_owner = ${round.owner} and (customer_id, version) in (${rows}))`;
      const from = i === 0 && round.recovered.includes(endpointId) ? sql<number>`0` : sql<number>`failures`;
      const q = db
        .updateTable('webhook_endpoints')
        .set({ failures: sql<number>`${from} + ${held}`, updated_at: round.now })
        .where('id', '=', endpointId);
      steps.push({ query: q.compile() });
    }
  }
  return steps;
}

/** How long a round's commit waits for a reset holding one of its tenants' rows (a reset holds it for one commit). */
const roundLockWaitMs = 30_000;

/** Commits a round's steps: on PostgreSQL after taking its tenants' rows shared, in id order. */
export async function commitRound(
  executor: SqlExecutor,
  db: Kysely<WebhookDatabase>,
  steps: readonly Step[],
  generations: ReadonlyMap<string, number>,
): Promise<void> {
  if (!executor.exclusive || generations.size === 0) return executor.atomic(steps);
  const locked = (db as unknown as Kysely<WithTenants>)
    .selectFrom('tenants')
    .select('id')
    .where('id', 'in', [...generations.keys()])
    .orderBy('id')
    .forShare()
    .compile();
  await executor.exclusive(locked, () => ({ steps, value: undefined }), roundLockWaitMs);
}
