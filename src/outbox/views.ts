import type { DeliveryKey, DeliveryRow, Store } from '../store/index.ts';

// What the gateway API and the CLI show of the outbox and of the shadow comparisons.

/** `<upstream>/<customer uuid>/v<version>`: how the API and `custgate outbox retry|drop` name a delivery. */
export const deliveryId = (row: DeliveryKey): string => `${row.upstream_id}/${row.customer_id}/v${row.version}`;

export function parseDeliveryId(id: string): DeliveryKey | undefined {
  const match = /^([^/]+)\/([^/]+)\/v(\d{1,15})$/.exec(id);
  if (!match) return undefined;
  return { upstream_id: match[1]!, customer_id: match[2]!, version: Number(match[3]) };
}

export function deliveryView(row: DeliveryRow) {
  return {
    id: deliveryId(row),
    tenant: row.tenant_id,
    upstream: row.upstream_id,
    customer: row.customer_id,
    version: Number(row.version),
    action: row.action,
    /** True: it sends the customer's whole local state (`custgate upstream resync`), not only what changed. */
    resync: row.resync !== null && row.resync !== undefined,
    state: row.state,
    attempts: Number(row.attempts),
    next_attempt_at: row.state === 'pending' ? row.next_attempt_at : null,
    last_error: row.last_error,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const samplesPerField = 5;

/** A diff row's identity: one field of one comparison. */
const sampleKey = (d: { readonly check_id: string; readonly field: string }) => `${d.check_id}\n${d.field}`;

export interface ShadowSample {
  readonly customer: string;
  readonly local: unknown;
  readonly upstream: unknown;
  readonly local_version: number;
  readonly upstream_version: string | null;
  readonly at: string;
}

/**
 * Mismatches by dialect and field: how many comparisons found the field different, the rate, samples.
 * `livemode` (a key's, over the gateway API): the samples, which hold customers' values, only of
 * that mode's customers, as a key sees no other customer anywhere; the counts stay the tenant's.
 */
export async function shadowSummary(store: Store, tenantId: string, livemode?: boolean) {
  const checks = await store.shadow.checks(tenantId);
  const diffs = await store.shadow.diffs(tenantId);
  const shown = livemode === undefined ? undefined : new Set((await store.shadow.diffs(tenantId, { livemode })).map(sampleKey));
  const byDialect = checks.map(({ dialect, checks: total, mismatched }) => {
    const fields = new Map<string, { count: number; samples: ShadowSample[] }>();
    for (const d of diffs) {
      if (d.dialect !== dialect) continue;
      let entry = fields.get(d.field);
      if (!entry) {
        entry = { count: 0, samples: [] };
        fields.set(d.field, entry);
      }
      entry.count++;
      if (entry.samples.length < samplesPerField && (shown === undefined || shown.has(sampleKey(d)))) {
        entry.samples.push({
          customer: d.customer_id,
          local: JSON.parse(d.local_value) as unknown,
          upstream: JSON.parse(d.upstream_value) as unknown,
          local_version: Number(d.local_version),
          upstream_version: d.upstream_version,
          at: d.created_at,
        });
      }
    }
    return {
      dialect,
      checks: total,
      mismatched,
      rate: total === 0 ? 0 : mismatched / total,
      fields: [...fields].map(([field, e]) => ({
        field,
        mismatches: e.count,
        rate: total === 0 ? 0 : e.count / total,
        samples: e.samples,
      })),
    };
  });
  return { object: 'shadow_report', dialects: byDialect };
}
