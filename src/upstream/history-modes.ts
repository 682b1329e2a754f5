import { inModeOf } from '../store/cold-queries.ts';
import { queryBuilder } from '../store/compiler.ts';
import type { Store } from '../store/index.ts';
import type { Keyring } from './secrets.ts';
import { baseUrlFor, seesUpstreamsWhole } from './base-url-shown.ts';
import { reconciledEvent } from './cut-over.ts';
import { listUpstreamsChecked, type UpstreamStepView, upstreamDetail } from './registry.ts';

// GET /gateway/v1/upstreams/{id} (and the answers that show an upstream after a change) as a key
// sees it (docs/security.md, "Upstreams and key modes"). A reconciliation records in the history
// the customers it found different, of both modes, for a promotion and a resync to read; a key is
// shown those of its own mode (and unclassified ones), as the reconciliation's own answer shows it.
// The counts stay the whole book's. Its base URL is shown as base-url-shown.ts says. The CLI, the
// operator, reads `upstreamDetail` and sees all.

/** Ids per query: under SQLite's and D1's bound-parameter limits. */
const chunk = 500;

/** Of these customers of the tenant, those a key of `livemode` may see named. */
async function ofMode(store: Store, tenantId: string, ids: readonly string[], livemode: boolean): Promise<Set<string>> {
  const db = queryBuilder(store.executor.backend);
  const shown = new Set<string>();
  for (let i = 0; i < ids.length; i += chunk) {
    const query = db
      .selectFrom('customers')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids.slice(i, i + chunk))
      .where(inModeOf(livemode))
      .compile();
    for (const row of await store.executor.all(query)) shown.add(row.id);
  }
  return shown;
}

const differingOf = (step: UpstreamStepView): Record<string, unknown> | undefined => {
  if (step.event !== reconciledEvent || step.detail === null) return undefined;
  try {
    const detail = JSON.parse(step.detail) as unknown;
    const ok = detail !== null && typeof detail === 'object' && Array.isArray((detail as Record<string, unknown>).differing_customers);
    return ok ? (detail as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** An upstream with its history, the customers its reconciliations name narrowed to the key's mode. */
export async function upstreamDetailFor(store: Store, tenantId: string, id: string, livemode: boolean) {
  const detail = baseUrlFor(await upstreamDetail(store, tenantId, id), await seesUpstreamsWhole(store, tenantId, livemode));
  const parsed = detail.history.map(differingOf);
  const named = [...new Set(parsed.flatMap((d) => (d ? (d.differing_customers as unknown[]) : []).map(String)))];
  if (named.length === 0) return detail;
  const shown = await ofMode(store, tenantId, named, livemode);
  const history = detail.history.map((step, i) => {
    const d = parsed[i];
    if (!d) return step;
    const differing = (d.differing_customers as unknown[]).map(String).filter((c) => shown.has(c));
    return { ...step, detail: JSON.stringify({ ...d, differing_customers: differing }) };
  });
  return { ...detail, history };
}

/** The tenant's upstreams (GET /gateway/v1/upstreams), each base URL as a key of `livemode` sees it. */
export async function listUpstreamsFor(store: Store, keyring: Keyring, tenantId: string, livemode: boolean) {
  const whole = await seesUpstreamsWhole(store, tenantId, livemode);
  return (await listUpstreamsChecked(store, keyring, tenantId)).map((u) => baseUrlFor(u, whole));
}
