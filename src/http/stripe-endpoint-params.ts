import { GatewayError } from '../contract/errors.ts';
import { disabledOf, metadataView } from '../webhooks/endpoint-fields.ts';
import type { EndpointRow } from '../webhooks/index.ts';
import { enabledEvents } from './webhook-request.ts';

// Stripe's webhook endpoint object and the parameters its create and update take
// (https://docs.stripe.com/api/webhook_endpoints), for stripe-webhook-routes.ts.

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export function stripeEndpointView(row: EndpointRow, secret?: string) {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    api_version: row.api_version ?? null,
    application: null,
    created: seconds(row.created_at),
    description: row.description ?? null,
    enabled_events: enabledEvents(row),
    livemode: Number(row.livemode) === 1,
    metadata: metadataView(row.metadata ?? null),
    status: row.status,
    url: row.url,
    ...(secret !== undefined ? { secret } : {}),
  };
}

// What Stripe's create and update take (https://docs.stripe.com/api/webhook_endpoints/create,
// …/update) and custgate carries; `expand` has nothing to expand here. Stripe refuses any other.
// `api_version` and `connect` are the create's alone, as at Stripe.
export const creatable = new Set(['url', 'enabled_events', 'description', 'metadata', 'expand', 'api_version', 'connect']);
export const updatable = new Set(['url', 'enabled_events', 'description', 'metadata', 'expand', 'disabled']);

/** Stripe's 400 for a parameter the call does not take: a typo read as absent would change what was asked. */
export function refuseUnknown(b: Record<string, unknown>, taken: ReadonlySet<string>): void {
  const unknown = Object.keys(b).find((k) => !taken.has(k));
  if (unknown === undefined) return;
  const message = `Received unknown parameter: ${unknown}`;
  throw new GatewayError('invalid_request', message, { issues: [{ path: [unknown], kind: 'unknown', message }] });
}

/**
 * Stripe's `connect` on create: true asks for the events of connected accounts (Stripe Connect),
 * which a gateway has none of, so such an endpoint would never get an event: refused, where false
 * (an endpoint for the account's own events, Stripe's default) is what every endpoint here is.
 */
export function refuseConnect(given: unknown): void {
  if (given === undefined) return;
  const asked = disabledOf(given, 'connect');
  if (!asked) return;
  const message =
    'connect=true is not available: this gateway has no connected accounts, so the endpoint would receive no events. Leave connect out, or pass false.';
  throw new GatewayError('invalid_request', message, { issues: [{ path: ['connect'], kind: 'value', message }] });
}
