import type { WebhookFormat } from '../contract/webhook-format.ts';
import type { LeasedRow } from '../store/index.ts';
import type { EventType } from './events.ts';

// The webhook tables (migration 0011_webhooks) as kysely sees them, and the shapes their queries take (store.ts).

export type { WebhookFormat };
export type EndpointStatus = 'enabled' | 'disabled';
export type WebhookDeliveryState = 'pending' | 'delivered' | 'dead';

export interface WebhookEndpointsTable {
  id: string;
  tenant_id: string;
  url: string;
  format: WebhookFormat;
  dialect: string;
  /** JSON array of event types, or ["*"]. */
  events: string;
  /** AES-GCM sealed (src/upstream/secrets.ts). */
  secret: string;
  /** The secret before the last roll: it still signs until previous_until. */
  previous_secret: string | null;
  previous_until: string | null;
  status: EndpointStatus;
  /** 1 live, 0 test (migration 0024): the mode of the key that made it; it gets that mode's events only. */
  livemode: number;
  /** Stripe's description (migration 0044); null: none. */
  description: string | null;
  /** Stripe's metadata as a JSON object of strings (migration 0044); null: none. */
  metadata: string | null;
  /** Stripe's api_version as its create named it (migration 0052); null: none named. Shown back, not used to render. */
  api_version: string | null;
  /** Deliveries that ended dead in a row; reset by a success. */
  failures: number;
  /**
   * Until when the endpoint is held down (migration 0051): its rounds all failed, and its deliveries
   * wait unsent until then. Null: never held, or an answer ended the hold; a past time: ended, or released.
   */
  held_until: string | null;
  /** The failed rounds in a row the hold's backoff doubles from; 0: not held. */
  held_rounds: number;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable extends LeasedRow<WebhookDeliveryState> {
  endpoint_id: string;
  customer_id: string;
  version: number;
  tenant_id: string;
  type: string;
  request_id: string | null;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookAttemptsTable {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  attempt: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  created_at: string;
}

export interface WebhookDatabase {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  customer_events: { customer_id: string; version: number; tenant_id: string; action: string; created_at: string };
  customers: { id: string; tenant_id: string; livemode: number };
}

export type EndpointRow = WebhookEndpointsTable;
export type WebhookDeliveryRow = WebhookDeliveriesTable;
export type AttemptRow = WebhookAttemptsTable;

/**
 * Which endpoints a caller reaches: its tenant's, of its key's mode when one is given, and of one
 * format and dialect when given (Stripe's resource of a dialect reaches that dialect's Stripe-format
 * endpoints, the ones its list shows).
 */
export interface EndpointScope {
  readonly tenantId: string;
  readonly livemode?: boolean;
  readonly format?: WebhookFormat;
  readonly dialect?: string;
}

export const scopeOf = (scope: string | EndpointScope): EndpointScope => (typeof scope === 'string' ? { tenantId: scope } : scope);

export interface WebhookDeliveryKey {
  readonly endpoint_id: string;
  readonly customer_id: string;
  readonly version: number;
}

export interface EventCursor {
  readonly created_at: string;
  readonly customer_id: string;
  readonly version: number;
}

export interface EventListFilter {
  readonly tenantId: string;
  /** Only events of customers in this mode: a test key sees test events, a live key live ones (as at Stripe). */
  readonly livemode: boolean;
  readonly types?: readonly EventType[];
  readonly createdGte?: string;
  /** Only events created before this time (Stripe's created[lt], created[lte] and exact created). */
  readonly createdBefore?: string;
  readonly createdAfter: string;
  /**
   * Stripe's delivery_success: false, only events with a delivery that has not succeeded (pending
   * or given up); true, only events with none such (every delivery succeeded, or there was none).
   */
  readonly delivered?: boolean;
  /** Keyset cursor (starting_after): events strictly older than this one. */
  readonly before?: EventCursor;
  /** Keyset cursor (ending_before): the events strictly newer than this one nearest to it, still listed newest first. */
  readonly after?: EventCursor;
  readonly limit: number;
}
