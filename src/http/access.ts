import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { randomBase62 } from '../core/index.ts';
import type { AccessEntry } from '../logger.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';

export type { AccessEntry };

// Every response carries a request id (response-headers.ts sends it), and every request ends in one access entry. The entry
// holds what an operator needs to find a request again and nothing a caller sent: no header
// value, no body, no query string (route is the pattern, `/v1/customers/:id`, never the path).

export type AccessObserver = (entry: AccessEntry) => void;

// An incoming id is echoed into headers and logs, so only a short, plain token is honoured.
const acceptableId = /^[A-Za-z0-9._:-]{1,128}$/;

/** The dialect serving this request, set by the handlers app.ts mounts. */
export function markDialect(c: GatewayContext, dialect: string): void {
  c.set('dialect', dialect);
}

/** The tenant a request authenticated as, set where authentication succeeds. */
export function markTenant(c: GatewayContext, tenantId: string, livemode?: boolean): void {
  c.set('tenant', tenantId);
  if (livemode !== undefined) c.set('livemode', livemode);
}

export function requestIdOf(c: GatewayContext): string | undefined {
  return c.get('requestId');
}

// The access line's time, formatted once per millisecond: at a few thousand requests a second
// consecutive requests often share it, and `toISOString` was a visible part of the line's cost.
let isoMs = Number.NaN;
let iso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = new Date(ms).toISOString();
  }
  return iso;
}

function routeOf(c: GatewayContext): string {
  // After next(), routeIndex is the last route that ran; when that is a middleware on every path
  // (`/*`, this one or another), no route answered and the app's notFound did.
  const route = matchedRoutes(c)[c.req.routeIndex];
  return route === undefined || route.path === '/*' ? 'unmatched' : route.path;
}

export function accessMiddleware(
  observers: readonly AccessObserver[],
  now: () => number = performance.now.bind(performance),
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const started = now();
    const incoming = c.req.header('x-request-id');
    const id = incoming !== undefined && acceptableId.test(incoming) ? incoming : `req_${randomBase62(14)}`;
    c.set('requestId', id);
    await next();
    if (observers.length === 0) return;
    const dialect = c.get('dialect') ?? 'none';
    const entry: AccessEntry = {
      time: isoNow(),
      request_id: id,
      tenant: c.get('tenant') ?? null,
      dialect,
      method: c.req.method,
      route: routeOf(c),
      status: c.res.status,
      duration_ms: Math.round((now() - started) * 1000) / 1000,
    };
    for (const observe of observers) observe(entry);
  };
}
