import { Hono, type MiddlewareHandler } from 'hono';
import { demote, promote } from '../upstream/cut-over.ts';
import type { Customer, IdKind } from '../../schemas/index.ts';
import type { Action, AnyDialect } from '../contract/dialect.ts';
import { type ErrorCode, errorHeaders, GatewayError } from '../contract/errors.ts';
import { coverageMatrix } from '../gateway/coverage.ts';
import { gatewayUpstreamsJson } from '../openapi/gateway-upstreams.ts';
import { upstreamModes } from '../store/index.ts';
import { deliveryView, shadowSummary } from '../outbox/views.ts';
import { resync } from '../outbox/resync.ts';
import { unreadableUpstreams } from '../upstream/unreadable-credentials.ts';
import { ForgedEvent, receiveUpstreamEvent } from '../webhooks/inbound.ts';
import { withGrantWarnings } from '../upstream/grants.ts';
import { listUpstreamsFor, upstreamDetailFor } from '../upstream/history-modes.ts';
import { changeMode } from '../upstream/registry.ts';
import { dialectNamed, translate } from '../gateway/translate.ts';
import { markTenant, requestIdOf } from './access.ts';
import { authenticateAny } from './authenticate.ts';
import { databaseReachable, probeAuthorized } from './probes.ts';
import { bodyText, decodeBody } from '../contract/body.ts';
import { badParameter, bodyObject, onlyParameters } from './gateway-body.ts';
import { etagOf } from './etag.ts';
import { queryFlag, refuseUnknownGatewayQuery } from './gateway-query.ts';
import type { GatewayEnv } from './context.ts';
import { refuseCrowded } from './in-flight.ts';
import { requestView } from './request-view.ts';
import { asGatewayError, type Runtime } from './runtime.ts';
import { refuseTestKeyOverLive } from './upstream-keys.ts';

// The gateway's own API: canonical views that no provider dialect has. Its envelope:
// {"error":{"code","message","issues"?}}. Every route but the probes, the coverage matrix and the
// OpenAPI document is registered behind one authentication middleware (the failed-authentication limit per address,
// the tenant in the access log), and every error leaves through one onError: a route cannot skip
// either by forgetting a try/catch. test/gateway-auth.test.ts walks the route table to hold that.

/**
 * The health probe counts pending and dead deliveries up to this many each: an operator needs to
 * know the outbox is deep, not by how much, and a probe must not get slower as it grows.
 */
export const healthDepthCap = 10_000;

const statusByCode = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  invalid_request: 400,
  malformed_body: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  headers_too_large: 431,
  malformed_request: 400,
  conflict: 409,
  idempotency_mismatch: 400,
  idempotency_in_flight: 409,
  precondition_failed: 412,
  bad_gateway: 502,
  upstream_unavailable: 503,
  upstream_timeout: 504,
  loop_detected: 508,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

/** Any identifier resolves here: a UUID, `cus_…`, a number, an alias or an external id. */
const anyId: readonly IdKind[] = ['uuid', 'public_id', 'number', 'alias', 'external_id'];

export function canonicalView(customer: Customer) {
  const { uuid, public_id, number, alias, external_id, ...rest } = customer;
  return { ids: { uuid, public_id, number, alias, external_id }, ...rest };
}

/** An error in the gateway's envelope; `requestId` goes with what is logged (asGatewayError). */
export function gatewayError(error: unknown, rt: Runtime, requestId: string | undefined): Response {
  const e = asGatewayError(error, rt, 'gateway', requestId);
  const { status, body } = gatewayEnvelope(e);
  return Response.json(body, { status, headers: errorHeaders(e) });
}

/** A gateway error's status and body in the gateway's own envelope. */
export function gatewayEnvelope(e: GatewayError): { readonly status: number; readonly body: unknown } {
  const body: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details.issues) body.issues = e.details.issues;
  return { status: statusByCode[e.code], body: { error: body } };
}

/** Any credential of the tenant, behind the failed-authentication limit of the client's address. */
export function gatewayAuth(dialects: readonly AnyDialect[], rt: Runtime, action: Action = 'read'): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    refuseCrowded(c);
    const principal = await authenticateAny(dialects, requestView(c.req.raw), rt, rt.clientAddress(c), action);
    c.set('principal', principal);
    markTenant(c, principal.tenantId, principal.livemode);
    refuseUnknownGatewayQuery(c);
    await next();
  };
}

export function gatewayApi(dialects: readonly AnyDialect[], rt: Runtime): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  api.onError((error, c) => gatewayError(error, rt, requestIdOf(c)));
  const authenticated = gatewayAuth(dialects, rt);
  const admin = { keyring: rt.keyring, dialects };

  // Liveness: up or down to anyone; with the probe token, the database's state, the outbox's depth
  // and the upstreams whose credentials cannot be read. /ready is the load balancer's yes or no.
  // Neither refuses a query parameter (gateway-query.ts): a check may carry its own, which changes
  // nothing they answer, where a 400 would take a healthy instance out.
  api.get('/health', async (c) => {
    const up = await databaseReachable(rt.store);
    const status = up ? 'ok' : 'degraded';
    const code = up ? 200 : 503;
    if (!(await probeAuthorized(c.req.header('authorization'), rt.config.probeToken))) return c.json({ status }, code);
    const outbox = up ? await rt.store.outbox.depth(healthDepthCap).catch(() => null) : null;
    const unreadable = up
      ? await rt.store.upstreams
          .all()
          .then((rows) => unreadableUpstreams(rt.keyring, rows))
          .catch(() => null)
      : null;
    const database = up ? 'ok' : 'unreachable';
    return c.json(
      { status, database, dialects: dialects.map((d) => d.name), outbox, upstreams: { credentials_unreadable: unreadable } },
      code,
    );
  });
  api.get('/ready', async (c) =>
    (await databaseReachable(rt.store)) ? c.json({ ready: true }) : c.json({ ready: false, database: 'unreachable' }, 503),
  );
  api.get('/coverage', (c) => {
    refuseUnknownGatewayQuery(c);
    return c.json(coverageMatrix(dialects));
  });
  // The upstream routes' OpenAPI document (src/openapi/gateway-upstreams.ts), open as each dialect's is.
  api.get('/openapi.json', (c) => {
    refuseUnknownGatewayQuery(c);
    return c.body(gatewayUpstreamsJson(dialects, upstreamModes), 200, { 'content-type': 'application/json; charset=utf-8' });
  });

  api.get('/customers/:ref/deliveries', authenticated, async (c) => {
    const principal = c.get('principal');
    const customer = await rt.customers.get(principal, anyId, c.req.param('ref'));
    const rows = await rt.store.outbox.list({ tenantId: principal.tenantId, customerId: customer.uuid });
    return c.json({ customer: customer.uuid, object: 'list', data: rows.map(deliveryView) });
  });

  api.get('/shadow', authenticated, async (c) => {
    const principal = c.get('principal');
    return c.json(await shadowSummary(rt.store, principal.tenantId, principal.livemode));
  });

  api.get('/customers/:ref', authenticated, async (c) => {
    const principal = c.get('principal');
    const ref = c.req.param('ref');
    // ?refresh=true: the proxy upstream's current state, taken into the local copy.
    const customer = queryFlag(c, 'refresh')
      ? await rt.customers.refresh(principal, anyId, ref)
      : await rt.customers.get(principal, anyId, ref);
    return c.json(canonicalView(customer), 200, { etag: etagOf(customer) });
  });

  api.get('/customers/:ref/events', authenticated, async (c) => {
    const { customer, events } = await rt.customers.events(c.get('principal'), anyId, c.req.param('ref'));
    return c.json({ customer: customer.uuid, object: 'list', data: events });
  });

  api.get('/customers/:ref/links', authenticated, async (c) => {
    const principal = c.get('principal');
    const customer = await rt.customers.get(principal, anyId, c.req.param('ref'));
    const links = await rt.store.upstreams.linksOf(principal.tenantId, customer.uuid);
    const data = links.map((l) => ({ upstream_id: l.upstream_id, remote_id: l.remote_id, created_at: l.created_at }));
    return c.json({ customer: customer.uuid, object: 'list', data });
  });

  // A provider's own signed events (src/webhooks/inbound.ts). The provider holds no credential of
  // the tenant: the signature under the upstream's webhook secret is the authentication, and a
  // forged one counts against the address as a failed authentication does.
  api.post('/upstreams/:id/webhook', async (c) => {
    refuseCrowded(c);
    const client = rt.clientAddress(c);
    const at = rt.now().getTime();
    const wait = client === undefined ? 0 : rt.authFailures.blockedFor(client, at);
    if (wait > 0)
      throw new GatewayError('rate_limited', `Too many failed signatures from this address; retry in ${wait} s.`, {
        retryAfterSeconds: wait,
      });
    const body = await bodyText(c.req.raw, rt.config.bodyLimitBytes);
    const deps = { store: rt.store, dialects: rt.dialects, keyring: rt.keyring, customers: rt.customers, now: rt.now };
    try {
      const result = await receiveUpstreamEvent(deps, { upstreamId: c.req.param('id'), header: (name) => c.req.header(name), body });
      const { tenantId, ...shown } = result;
      markTenant(c, tenantId);
      return c.json({ received: true, ...shown });
    } catch (error) {
      if (error instanceof ForgedEvent && client !== undefined) rt.authFailures.hit(client, at);
      throw error;
    }
  });

  // The tenant's upstreams, never their credentials.
  api.get('/upstreams', authenticated, async (c) => {
    const { tenantId, livemode } = c.get('principal');
    return c.json({ object: 'list', data: await listUpstreamsFor(rt.store, rt.keyring, tenantId, livemode) });
  });

  // One upstream with its links count and history (each mode change with its time).
  api.get('/upstreams/:id', authenticated, async (c) =>
    c.json(await upstreamDetailFor(rt.store, c.get('principal').tenantId, c.req.param('id'), c.get('principal').livemode)),
  );

  // {"mode": "proxy" | "mirror" | "shadow"}: the mode changes in place; links and history stay.
  api.patch('/upstreams/:id', gatewayAuth(dialects, rt, 'update'), async (c) => {
    const principal = c.get('principal');
    const { mode } = onlyParameters(await bodyObject(c, rt, ['json']), ['mode']);
    if (typeof mode !== 'string') throw badParameter('mode', 'mode is required: proxy, mirror or shadow.');
    const id = c.req.param('id');
    await refuseTestKeyOverLive(rt.store, principal, "change an upstream's mode");
    await changeMode(rt.store, principal.tenantId, id, mode, rt.now());
    return c.json(await withGrantWarnings(rt.store, admin, await upstreamDetailFor(rt.store, principal.tenantId, id, principal.livemode)));
  });

  // The cut-over (src/upstream/cut-over.ts): {"force": true} promotes past what would refuse it.
  api.post('/upstreams/:id/promote', gatewayAuth(dialects, rt, 'update'), async (c) => {
    const principal = c.get('principal');
    const { force } = onlyParameters(await bodyObject(c, rt, ['json']), ['force']);
    if (force !== undefined && typeof force !== 'boolean') throw badParameter('force', 'force must be true or false.');
    const id = c.req.param('id');
    await refuseTestKeyOverLive(rt.store, principal, 'promote an upstream');
    const promoted = await promote(rt.store, principal.tenantId, id, rt.now(), force === true);
    const detail = await withGrantWarnings(rt.store, admin, await upstreamDetailFor(rt.store, principal.tenantId, id, principal.livemode));
    return c.json({ ...detail, forced: promoted.forced });
  });
  // {"customers": [...]} (UUID or cus_ id) or none: those the last reconciliation found different
  // (src/outbox/resync.ts); the key's own mode's only, another mode's answering as no customer.
  api.post('/upstreams/:id/resync', gatewayAuth(dialects, rt, 'update'), async (c) => {
    const principal = c.get('principal');
    const { customers } = onlyParameters(await bodyObject(c, rt, ['json']), ['customers']);
    if (customers !== undefined && (!Array.isArray(customers) || customers.some((x) => typeof x !== 'string' || x === '')))
      throw badParameter('customers', 'customers must be an array of customer ids (UUID or cus_ id).');
    const named = (customers as string[] | undefined) ?? [];
    return c.json(await resync(rt.store, principal.tenantId, c.req.param('id'), named, rt.now(), principal.livemode));
  });
  api.post('/upstreams/:id/demote', gatewayAuth(dialects, rt, 'update'), async (c) => {
    const principal = c.get('principal');
    // It takes no parameters: a member (a promote's `force` sent here) would be read as absent and the
    // upstream demoted all the same, so it is refused as promote refuses one it does not take.
    onlyParameters(await bodyObject(c, rt, ['json']), []);
    const id = c.req.param('id');
    await refuseTestKeyOverLive(rt.store, principal, 'demote an upstream');
    await demote(rt.store, principal.tenantId, id, rt.now());
    return c.json(await upstreamDetailFor(rt.store, principal.tenantId, id, principal.livemode));
  });

  // One customer as every dialect shows it (the console's side-by-side panes).
  api.get('/customers/:ref/views', authenticated, async (c) => {
    const principal = c.get('principal');
    const customer = await rt.customers.get(principal, anyId, c.req.param('ref'));
    const views = Object.fromEntries(
      dialects.map((d) => [d.name, { title: d.title, body: d.wire.render(customer, { expand: [], principal }) }]),
    );
    return c.json({ customer: canonicalView(customer), views }, 200, { etag: etagOf(customer) });
  });

  api.post('/translate', authenticated, async (c) => {
    const from = dialectNamed(dialects, c.req.query('from'), 'from');
    const to = dialectNamed(dialects, c.req.query('to'), 'to');
    const strict = queryFlag(c, 'strict');
    const raw = await decodeBody(c.req.raw, from.wire.bodies, rt.config.bodyLimitBytes);
    const result = translate(from, to, raw);
    if (strict && result.losses.length > 0) {
      return c.json(
        {
          error: {
            code: 'lossy_translation',
            message: `The translation from ${from.name} to ${to.name} loses information.`,
            losses: result.losses,
          },
        },
        422,
      );
    }
    return c.json(result);
  });

  api.all('*', (c) =>
    gatewayError(new GatewayError('not_found', `No such gateway route: ${c.req.method} ${c.req.path}`), rt, requestIdOf(c)),
  );
  return api;
}
