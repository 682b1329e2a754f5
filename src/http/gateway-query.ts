import type { Context } from 'hono';
import { routePath } from 'hono/route';
import { badParameter, onlyParameters } from './gateway-body.ts';

// The gateway's own API refuses a query parameter a route does not take, as its bodies do
// (gateway-body.ts onlyParameters) and as the Stripe-like routes refuse one (stripe-query.ts).
// Read as absent, a typo answered 200 with what the caller had not asked for:
// `GET /gateway/v1/customers/{ref}?refesh=true` the local copy, unrefreshed, and
// `GET /gateway/v1/requests?stauts=4xx` every request.

/** The query parameters a route takes, by method and path as registered (docs/gateway-api.md); any other route takes none. */
export const gatewayQueries = {
  'GET /gateway/v1/customers/:ref': ['refresh'],
  'GET /gateway/v1/requests': ['status', 'path', 'limit'],
  'POST /gateway/v1/translate': ['from', 'to', 'strict'],
} as const satisfies Readonly<Record<`${'GET' | 'POST'} /gateway/v1/${string}`, readonly string[]>>;

/** The 400 naming the first query parameter the route that `c` runs does not take (a HEAD is its GET). */
export function refuseUnknownGatewayQuery(c: Context): void {
  if (!c.req.url.includes('?')) return;
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
  const route: string = `${method} ${routePath(c)}`;
  const taken: readonly string[] = route in gatewayQueries ? gatewayQueries[route as keyof typeof gatewayQueries] : [];
  onlyParameters(Object.fromEntries(new URL(c.req.url).searchParams), taken);
}

/** A flag in the query (`refresh`, `strict`): `true` or `false`, absent false; any other value is a 400, not false. */
export function queryFlag(c: Context, name: string): boolean {
  const given = c.req.query(name);
  if (given === undefined || given === 'false') return false;
  if (given === 'true') return true;
  throw badParameter(name, `${name} must be true or false, not '${given}'.`);
}
