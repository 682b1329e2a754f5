import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { queryBuilder } from '../store/compiler.ts';
import type { SqlExecutor } from '../store/index.ts';
import { eventId, parseEventId, timedIdsSince } from './event-ids.ts';
import { actionOf } from './events.ts';
import type { EventCursor, EventListFilter, WebhookDatabase } from './tables.ts';

type EventsBuilder = ExpressionBuilder<{ ev: WebhookDatabase['customer_events'] }, 'ev'>;

/** The events past `anchor` in list order (created_at, customer_id, version), older (`<`) or newer (`>`): a keyset page. */
function beyond(eb: EventsBuilder, anchor: EventCursor, op: '<' | '>') {
  return eb.or([
    eb('ev.created_at', op, anchor.created_at),
    eb.and([eb('ev.created_at', '=', anchor.created_at), eb('ev.customer_id', op, anchor.customer_id)]),
    eb.and([
      eb('ev.created_at', '=', anchor.created_at),
      eb('ev.customer_id', '=', anchor.customer_id),
      eb('ev.version', op, anchor.version),
    ]),
  ]);
}

/**
 * The events a tenant lists and resends (GET /gateway/v1/events): its customer_events rows, newest
 * first, in the mode of the key that asks. Reached through WebhookStore (store.ts).
 */
export class WebhookEventQueries {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<WebhookDatabase>;

  constructor(executor: SqlExecutor) {
    this.#executor = executor;
    // The store's compiler, typed with the webhook tables (tables.ts).
    this.#db = queryBuilder(executor.backend) as unknown as Kysely<WebhookDatabase>;
  }

  async events(f: EventListFilter): Promise<{ customer_id: string; version: number; action: string; created_at: string }[]> {
    let q = this.#db
      .selectFrom('customer_events as ev')
      .select(['ev.customer_id', 'ev.version', 'ev.action', 'ev.created_at'])
      .where('ev.tenant_id', '=', f.tenantId)
      .where('ev.created_at', '>=', f.createdAfter)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('customers as c')
            .select(sql.lit(1).as('one'))
            .whereRef('c.tenant_id', '=', 'ev.tenant_id')
            .whereRef('c.id', '=', 'ev.customer_id')
            .where('c.livemode', '=', f.livemode ? 1 : 0),
        ),
      );
    if (f.createdGte !== undefined) q = q.where('ev.created_at', '>=', f.createdGte);
    if (f.createdBefore !== undefined) q = q.where('ev.created_at', '<', f.createdBefore);
    if (f.types && f.types.length > 0) {
      const actions = f.types.map((t) => actionOf[t]);
      q = q.where('ev.action', 'in', actions);
    }
    const delivered = f.delivered;
    if (delivered !== undefined) {
      q = q.where(({ exists, not, selectFrom }) => {
        const undelivered = exists(
          selectFrom('webhook_deliveries as d')
            .select(sql.lit(1).as('one'))
            // Customer ids are unique per tenant only (migration 0009): the tenant is part of the match.
            .whereRef('d.tenant_id', '=', 'ev.tenant_id')
            .whereRef('d.customer_id', '=', 'ev.customer_id')
            .whereRef('d.version', '=', 'ev.version')
            .where('d.state', '!=', 'delivered'),
        );
        return delivered ? not(undelivered) : undelivered;
      });
    }
    const b = f.before;
    if (b) q = q.where((eb) => beyond(eb, b, '<'));
    const a = f.after;
    if (a) q = q.where((eb) => beyond(eb, a, '>'));
    // ending_before walks up from its anchor (the nearest newer events first), then turns the page
    // back to newest first, as Stripe lists every page.
    const dir = a ? 'asc' : 'desc';
    const rows = await this.#executor.all(
      q.orderBy('ev.created_at', dir).orderBy('ev.customer_id', dir).orderBy('ev.version', dir).limit(f.limit).compile(),
    );
    if (a) rows.reverse();
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }

  /** The history row an event id names: none when the version's event now is another (a customer's UUID came back). */
  async eventById(tenantId: string, id: string) {
    const ref = parseEventId(id);
    const row = ref && (await this.event(tenantId, ref.customerId, ref.version));
    if (!row) return undefined;
    return eventId(row.customer_id, row.version, row.created_at, await timedIdsSince(this.#executor)) === id ? row : undefined;
  }

  async event(tenantId: string, customerId: string, version: number) {
    const q = this.#db
      .selectFrom('customer_events')
      .select(['customer_id', 'version', 'action', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('customer_id', '=', customerId)
      .where('version', '=', version)
      .compile();
    const row = (await this.#executor.all(q))[0];
    return row ? { ...row, version: Number(row.version) } : undefined;
  }
}
