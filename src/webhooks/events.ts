import type { Customer, CustomerFields } from '../../schemas/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { FieldChange } from '../core/apply-patch.ts';
import { rowToCustomer } from '../core/customer-row.ts';
import { undoChanges } from '../core/absolute-patch.ts';
import type { EventRow, Store } from '../store/index.ts';
import { eventId, timedIdsSince } from './event-ids.ts';

export { eventId, parseEventId } from './event-ids.ts';

// An event announces one committed version of one customer (a customer_events row). Its id is
// derived from that row (event-ids.ts), so every delivery and every retry of it carries the same
// id, which is what a receiver de-duplicates on.

export type EventType = 'customer.created' | 'customer.updated' | 'customer.deleted';
export const eventTypes = ['customer.created', 'customer.updated', 'customer.deleted'] as const satisfies readonly EventType[];

type Action = 'create' | 'update' | 'delete';
const typeOfAction = {
  create: 'customer.created',
  update: 'customer.updated',
  delete: 'customer.deleted',
} as const satisfies Record<Action, EventType>;
export const eventType = (action: string): EventType => typeOfAction[action === 'create' || action === 'delete' ? action : 'update'];

/** The change-history actions (customer_events.action) an event type announces. */
export const actionOf = {
  'customer.created': 'create',
  'customer.updated': 'update',
  'customer.deleted': 'delete',
} as const satisfies Record<EventType, Action>;
export const isEventType = (type: string): type is EventType => eventTypes.some((t) => t === type);

/** What an event says, before it is put in a format: the customer as of the version and before it. */
export interface EventFacts {
  readonly id: string;
  readonly type: EventType;
  readonly tenantId: string;
  readonly createdAt: string;
  readonly customer: Customer;
  readonly previous: Customer | undefined;
  readonly requestId: string | null;
  readonly idempotencyKey: string | null;
}

/**
 * The facts of one event, built as the outbox builds a delivery (src/outbox/dispatcher.ts): from
 * the customer as it is now and the history from the version on, each later change undone, so a
 * purged older history (event retention) loses no field. Undefined when the history no longer has
 * the version.
 */
export async function eventFacts(
  store: Store,
  tenantId: string,
  customerId: string,
  version: number,
  request?: { readonly requestId: string | null; readonly idempotencyKey: string | null },
): Promise<EventFacts | undefined> {
  const since = timedIdsSince(store.executor);
  const row = await store.findCustomer(tenantId, 'uuid', customerId);
  if (!row) return undefined;
  // From the version before on: its time is the previous customer's updated_at.
  const events = await store.eventsAfter(tenantId, customerId, version - 2);
  const at = events.findIndex((e) => Number(e.version) === version);
  const event = events[at];
  if (!event) return undefined;
  const before = at > 0 ? events[at - 1] : undefined;
  const changesOf = (e: EventRow) => JSON.parse(e.changes) as FieldChange[];
  const current = rowToCustomer(row);
  let fields: CustomerFields = current;
  for (const later of events.slice(at + 1).reverse()) fields = undoChanges(fields, changesOf(later));
  const customer: Customer = { ...current, ...fields, version, updated_at: event.created_at };
  return {
    id: eventId(customerId, version, event.created_at, await since),
    type: eventType(event.action),
    tenantId,
    createdAt: event.created_at,
    customer,
    // Stripe's customer.deleted carries the customer as it was, and nothing changed to list.
    previous:
      event.action !== 'update' || !before
        ? undefined
        : { ...customer, ...undoChanges(fields, changesOf(event)), version: version - 1, updated_at: before.created_at },
    // The event's own (migration 0055); null on events from before it, whose deliveries kept theirs.
    ...(request ?? { requestId: event.request_id ?? null, idempotencyKey: event.idempotency_key ?? null }),
  };
}

const render = (dialect: AnyDialect, customer: Customer, tenantId: string): Record<string, unknown> =>
  dialect.wire.render(customer, {
    expand: [],
    principal: { tenantId, livemode: customer.livemode },
  }) as Record<string, unknown>;

/** The top-level members of the rendered object that changed, with their old values. */
function previousAttributes(now: Record<string, unknown>, before: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(now)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(now[key])) out[key] = before[key] ?? null;
  }
  return out;
}

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** A Stripe event object (https://docs.stripe.com/api/events/object), `data.object` in the dialect's shape. */
export function stripeEvent(facts: EventFacts, dialect: AnyDialect, pendingWebhooks = 0): Record<string, unknown> {
  const object = render(dialect, facts.customer, facts.tenantId);
  const data: Record<string, unknown> = { object };
  if (facts.previous) data.previous_attributes = previousAttributes(object, render(dialect, facts.previous, facts.tenantId));
  return {
    id: facts.id,
    object: 'event',
    api_version: null,
    created: seconds(facts.createdAt),
    data,
    livemode: facts.customer.livemode,
    pending_webhooks: pendingWebhooks,
    request: { id: facts.requestId, idempotency_key: facts.idempotencyKey },
    type: facts.type,
  };
}

/** A Standard Webhooks payload (`type`, `timestamp`, `data`), `data` in the dialect's shape. */
export function standardEvent(facts: EventFacts, dialect: AnyDialect): Record<string, unknown> {
  return { type: facts.type, timestamp: facts.createdAt, data: render(dialect, facts.customer, facts.tenantId) };
}
