import { type CustomerFields, type FieldName, fieldNames } from '../../schemas/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { Store } from '../store/index.ts';

// Shadow comparison (Diffy, GitHub's Scientist): the local customer, as the upstream's dialect can
// show it, against what the upstream actually shows. Noise is declared, not guessed: server ids
// and timestamps are not canonical fields at all; formatting the dialect renders losslessly is
// undone by comparing parsed canonical values (UpstreamPort.expected); what remains below is
// "empty" in its several spellings ("", null, {}, []), which no provider tells apart reliably.

export interface FieldDiff {
  /** `deleted`: the provider deleted a customer the local copy keeps (its webhook, src/webhooks/inbound.ts). */
  readonly field: FieldName | 'deleted';
  readonly local: unknown;
  readonly upstream: unknown;
}

/** The fields the dialect reads back, so a comparison can speak of them. */
export function comparedFields(dialect: AnyDialect): FieldName[] {
  return fieldNames.filter((name) => dialect.translation.coverage[name]?.read === true);
}

function normal(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (Array.isArray(value)) {
    const items = value.map(normal);
    return items.length === 0 ? null : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = normal((value as Record<string, unknown>)[key]);
      if (member !== null) out[key] = member;
    }
    return Object.keys(out).length === 0 ? null : out;
  }
  return value;
}

/** The compared fields whose values differ, beyond declared noise. */
export function shadowDiff(expected: Partial<CustomerFields>, actual: Partial<CustomerFields>, fields: readonly FieldName[]): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  for (const field of fields) {
    if (!(field in expected)) continue;
    const local = normal(expected[field]);
    const upstream = normal(actual[field]);
    if (JSON.stringify(local) !== JSON.stringify(upstream))
      diffs.push({ field, local: expected[field] ?? null, upstream: actual[field] ?? null });
  }
  return diffs;
}

/**
 * Records one comparison and its differing fields: a shadow's read-back after a delivery, or a
 * change the upstream itself announced (its webhook; `upstreamVersion` is then the event's id).
 */
export async function recordComparison(
  store: Store,
  work: {
    readonly tenantId: string;
    readonly upstream: { readonly id: string; readonly dialect: string };
    readonly customerId: string;
    readonly version: number;
  },
  diffs: readonly FieldDiff[],
  upstreamVersion: string | null,
  now: Date,
): Promise<void> {
  const checkId = crypto.randomUUID();
  const at = now.toISOString();
  const base = { tenant_id: work.tenantId, dialect: work.upstream.dialect, customer_id: work.customerId };
  await store.shadow.record(
    {
      id: checkId,
      ...base,
      upstream_id: work.upstream.id,
      local_version: work.version,
      upstream_version: upstreamVersion,
      mismatches: diffs.length,
      created_at: at,
    },
    diffs.map((d) => ({
      check_id: checkId,
      field: d.field,
      ...base,
      local_value: JSON.stringify(d.local),
      upstream_value: JSON.stringify(d.upstream),
      local_version: work.version,
      upstream_version: upstreamVersion,
      created_at: at,
    })),
  );
}
