import { GatewayError } from '../contract/errors.ts';
import { type AttemptScope, type CreateAttemptRead, heldUntil, type Store } from '../store/index.ts';

// A create recorded for a customer (attempts.ts) stands until its link is stored. Where the next
// write cannot find what it left (a Meteroid or Bigcapital list longer than the look-up walks,
// marker.ts), every write of that customer is a 502 until the record goes: the operator lists the
// records (`custgate upstream attempts`, GET /gateway/v1/upstreams/{id}/create-attempts), checks the
// provider, and clears one; the next write of the customer then creates it there.

/** The most records one listing shows. */
const listLimit = 1000;

export interface CreateAttemptView {
  /** The customer's UUID (for a client's create under an Idempotency-Key, an id derived from the key). */
  readonly customer_id: string;
  readonly attempted_at: string;
  /** Until when a request sending it holds it at most; null when none does (or its process is dead). */
  readonly held_until: string | null;
  /** Whether the create was forwarded under an Idempotency-Key (the key itself is not shown). */
  readonly idempotency_key: boolean;
  /** The fields it carried that were not empty: what to look for at the provider. */
  readonly sent: Readonly<Record<string, unknown>>;
}

export async function listCreateAttempts(
  store: Store,
  tenantId: string,
  upstreamId: string,
  now = new Date(),
  only?: AttemptScope,
): Promise<CreateAttemptView[]> {
  await upstreamOf(store, tenantId, upstreamId);
  const rows = await store.attempts.list(tenantId, upstreamId, listLimit, only);
  return rows.map((row) => ({
    customer_id: row.customer_id,
    attempted_at: row.attempted_at,
    held_until: heldUntil(row, now.toISOString()),
    idempotency_key: row.idempotency_key !== null,
    sent: Object.fromEntries(Object.entries(JSON.parse(row.sent) as Record<string, unknown>).filter(([, value]) => value !== null)),
  }));
}

/**
 * Clears one record: the next write of the customer sends a create again. One a request holds
 * now is refused (that request may be sending it).
 */
export async function clearCreateAttempt(
  store: Store,
  tenantId: string,
  upstreamId: string,
  customerId: string,
  now: Date,
  only?: AttemptScope,
): Promise<void> {
  await upstreamOf(store, tenantId, upstreamId);
  const row = await store.attempts.find(tenantId, upstreamId, customerId);
  if (!row || !(await inScope(store, row, only)))
    throw new GatewayError('not_found', `No create is recorded for customer '${customerId}' at upstream ${upstreamId}.`);
  const held = heldUntil(row, now.toISOString());
  if (held !== null) {
    throw new GatewayError('conflict', `A request is sending this create now (held until ${held}); try again after that.`);
  }
  await store.attempts.drop(tenantId, upstreamId, customerId);
}

/** Whether a listing scoped by `only` shows the record of this customer (store/create-attempts.ts). */
async function inScope(store: Store, row: CreateAttemptRead, only: AttemptScope | undefined): Promise<boolean> {
  if (only === undefined) return true;
  const mode = only.livemode ? 1 : 0;
  const customer = await store.findCustomer(row.tenant_id, 'uuid', row.customer_id);
  if (!customer) return row.livemode === null ? only.unstored : Number(row.livemode) === mode;
  return customer.livemode === null || Number(customer.livemode) === mode;
}

async function upstreamOf(store: Store, tenantId: string, id: string): Promise<void> {
  if (!(await store.upstreams.find(tenantId, id))) throw new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });
}
