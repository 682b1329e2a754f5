import type { Principal } from '../contract/dialect.ts';
import type { EndpointRow } from '../webhooks/index.ts';

// What the gateway's webhook API (webhook-routes.ts) and Stripe's webhook resources
// (stripe-webhook-routes.ts) read from a stored endpoint alike (a request's body: gateway-body.ts).

export const enabledEvents = (row: EndpointRow): string[] => JSON.parse(row.events) as string[];

/**
 * A key reaches the endpoints of its own mode only, as at Stripe: a test key neither sees nor
 * changes a live endpoint, and what it makes is a test endpoint, so it can never direct live
 * customers' events to a URL of its choosing.
 */
export const scope = (p: Principal) => ({ tenantId: p.tenantId, livemode: p.livemode });
