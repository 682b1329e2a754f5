import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

// Browser clients of the gateway (a front end on another origin calling the dev server) need
// CORS; off unless CUSTGATE_CORS_ORIGINS names origins. Credentials travel in headers, never in
// cookies, so no `Access-Control-Allow-Credentials`.

/** Headers a browser client reads from the gateway's answers. */
const exposed = ['request-id', 'x-request-id', 'etag', 'idempotency-key', 'idempotent-replayed', 'retry-after'];

/** The CORS middleware for these origins (`*`: any), or none. */
export function corsFor(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    exposeHeaders: exposed,
    maxAge: 600,
  });
}
