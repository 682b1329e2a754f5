import type { Context } from 'hono';
import type { AnyDialect, Principal } from '../contract/dialect.ts';
import { decodeBody } from '../contract/body.ts';
import { GatewayError } from '../contract/errors.ts';
import type { EndpointRow } from '../webhooks/index.ts';
import type { GatewayEnv } from './context.ts';
import type { Runtime } from './runtime.ts';

// What the gateway's webhook API (webhook-routes.ts) and Stripe's webhook resources
// (stripe-webhook-routes.ts) read from a request and a stored endpoint alike.

export const enabledEvents = (row: EndpointRow): string[] => JSON.parse(row.events) as string[];

/** The request's body as an object (none: empty), in one of the dialect's formats, within the body limit. */
export const body = async (
  c: Context<GatewayEnv>,
  rt: Runtime,
  formats: AnyDialect['wire']['bodies'],
): Promise<Record<string, unknown>> => {
  const length = c.req.header('content-length');
  if (length === '0' || (length === undefined && !c.req.header('content-type'))) return {};
  const raw = await decodeBody(c.req.raw, formats, rt.config.bodyLimitBytes);
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new GatewayError('invalid_request', 'The body must be an object.');
  return raw as Record<string, unknown>;
};

/**
 * A key reaches the endpoints of its own mode only, as at Stripe: a test key neither sees nor
 * changes a live endpoint, and what it makes is a test endpoint, so it can never direct live
 * customers' events to a URL of its choosing.
 */
export const scope = (p: Principal) => ({ tenantId: p.tenantId, livemode: p.livemode });
