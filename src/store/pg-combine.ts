import type { Step } from './executor.ts';

// A unit of writes as ONE PostgreSQL statement: each step becomes a data-modifying CTE, and the
// outer SELECT fails the statement (undoing every CTE with it) when a mustChange step changed no
// row. One round trip and an implicit transaction, instead of BEGIN, one per step, and COMMIT.
// The failure is a cast of a marker to int, computed from the CTEs' row counts so the planner
// cannot fold it into a constant; the marker in the message tells a lost compare-and-set apart.

export const staleMarker = 'custgate:stale-write';
/** A mustFind step found no row: what the write was decided on changed (CheckFailed). */
export const checkMarker = 'custgate:check-failed';

export interface Combined {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

const cache = new Map<string, string>();

function combinedSql(steps: readonly Step[]): string {
  const key = steps.map((s) => `${s.mustChange ? '!' : s.mustFind ? '?' : ''}${s.query.sql}`).join('\u0000');
  let sql = cache.get(key);
  if (sql !== undefined) return sql;
  let offset = 0;
  const ctes: string[] = [];
  const guards: string[] = [];
  const checks: string[] = [];
  steps.forEach((step, i) => {
    const shift = offset;
    // kysely numbers each query's placeholders from $1; ours follow the previous steps'.
    const body = shift === 0 ? step.query.sql : step.query.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + shift}`);
    offset += step.query.parameters.length;
    // A read is a CTE of its own; PostgreSQL runs it on the statement's snapshot, as the writes.
    ctes.push(step.mustFind ? `s${i} as (${body})` : `s${i} as (${body} returning 1)`);
    if (step.mustChange) guards.push(`not exists (select 1 from s${i})`);
    if (step.mustFind) checks.push(`not exists (select 1 from s${i})`);
  });
  const failures = [
    ...(guards.length > 0 ? [`when ${guards.join(' or ')} then '${staleMarker}'`] : []),
    ...(checks.length > 0 ? [`when ${checks.join(' or ')} then '${checkMarker}'`] : []),
  ];
  const check = failures.length === 0 ? '0' : `(case ${failures.join(' ')} else '0' end)::int`;
  sql = `with ${ctes.join(', ')} select ${check} as ok`;
  if (cache.size < 256) cache.set(key, sql);
  return sql;
}

export function combine(steps: readonly Step[]): Combined {
  const first = steps[0];
  if (steps.length === 1 && first && !first.mustChange && !first.mustFind)
    return { sql: first.query.sql, parameters: first.query.parameters };
  return { sql: combinedSql(steps), parameters: steps.flatMap((s) => s.query.parameters) };
}

export function isStaleMarker(error: unknown): boolean {
  return error instanceof Error && error.message.includes(staleMarker);
}

export function isCheckMarker(error: unknown): boolean {
  return error instanceof Error && error.message.includes(checkMarker);
}
