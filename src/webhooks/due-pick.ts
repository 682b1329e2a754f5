import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { dueWalkPostgres } from '../store/due-walk.ts';
import type { WebhookDatabase, WebhookDeliveryRow } from './tables.ts';

// The webhook dispatcher's pick of due deliveries on PostgreSQL (both halves of a round:
// src/outbox/round-pick.ts): the outbox's walk (src/store/due-walk.ts) along
// `webhook_deliveries_pick` (migration 0060), forwards for the earliest due, backwards for the
// latest, so that it stops once it has its round. Before, the due index did not close the order
// and every pick read and sorted all due rows: a receiver down for an hour on a busy tenant left
// tens of thousands, and each round paid for all of them (docs/performance.md).

/**
 * Pending deliveries due at `now`, unleased, of an enabled endpoint, each the earliest pending
 * version of its customer for its endpoint; at most `limit`, the earliest due (or with `newest`
 * the latest due) first walked.
 */
export function duePostgres(db: Kysely<WebhookDatabase>, now: string, limit: number, newest: boolean): CompiledQuery<WebhookDeliveryRow> {
  // A disabled endpoint's deliveries wait, in order, for it to be enabled again.
  const passes = sql`(select 1 from webhook_endpoints x where x.id = p.endpoint_id and x.status = 'enabled') is not null
        and (select 1 from webhook_deliveries e
             where e.endpoint_id = p.endpoint_id and e.customer_id = p.customer_id and e.version < p.version
               and e.state = 'pending'
             order by e.endpoint_id, e.customer_id, e.version
             limit 1) is null`;
  const key = ['next_attempt_at', 'created_at', 'endpoint_id', 'customer_id', 'version'];
  return dueWalkPostgres<WebhookDeliveryRow>(db, { table: 'webhook_deliveries', key, now, limit, newest, passes });
}
