import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { AnyDialect, Principal } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { type EndpointRow, resendEvent } from '../webhooks/index.ts';
import { stripeLikeBase, stripeWebhookRoutes } from './stripe-webhook-routes.ts';
import { enabledEvents, scope } from './webhook-request.ts';
import { badParameter, bodyObject, onlyParameters } from './gateway-body.ts';
import { markDialect, markTenant, requestIdOf } from './access.ts';
import { authenticateAny } from './authenticate.ts';
import type { GatewayEnv } from './context.ts';
import { gatewayError } from './gateway-api.ts';
import { refuseUnknownGatewayQuery } from './gateway-query.ts';
import { requestView } from './request-view.ts';
import type { Runtime } from './runtime.ts';
import type { AfterAuth } from './pipeline.ts';

// Webhook endpoints and events over HTTP (#28, docs/webhooks.md): the gateway's own API under
// /gateway/v1, and for the Stripe-like dialects Stripe's webhook endpoint and event resources
// (https://docs.stripe.com/api/webhook_endpoints, https://docs.stripe.com/api/events) beside their
// customers, so the Stripe SDK's webhookEndpoints and events calls work unchanged.

/**
 * The gateway's view of an endpoint. `now`: whether its hold (a receiver down, docs/webhooks.md)
 * still runs: `held`, until `held_until`; `held_rounds`, the failed rounds in a row its backoff
 * counts (0 once a round is answered). Not on Stripe's routes, whose shape is Stripe's.
 */
export function endpointView(row: EndpointRow, now: Date, secret?: string) {
  const held = row.held_until !== null && row.held_until > now.toISOString();
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    format: row.format,
    dialect: row.dialect,
    enabled_events: enabledEvents(row),
    status: row.status,
    livemode: Number(row.livemode) === 1,
    failures: Number(row.failures),
    held,
    held_until: held ? row.held_until : null,
    held_rounds: Number(row.held_rounds),
    created_at: row.created_at,
    ...(row.previous_until ? { previous_secret_until: row.previous_until } : {}),
    ...(secret !== undefined ? { secret } : {}),
  };
}

const overlapOf = (given: unknown): number | undefined => {
  if (given === undefined) return undefined;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 0 || n > 7 * 86400) {
    throw badParameter('expires_in_seconds', 'expires_in_seconds must be a whole number of seconds from 0 to 604800.');
  }
  return n * 1000;
};

/** /gateway/v1/webhook_endpoints…: any credential of the tenant, the gateway's envelope. */
export function webhookGatewayApi(dialects: readonly AnyDialect[], rt: Runtime): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  const run = (handler: (c: Context<GatewayEnv>, principal: Principal) => Promise<Response>) => async (c: Context<GatewayEnv>) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt, rt.clientAddress(c));
      markTenant(c, principal.tenantId, principal.livemode);
      refuseUnknownGatewayQuery(c);
      return await handler(c, principal);
    } catch (error) {
      return gatewayError(error, rt, requestIdOf(c));
    }
  };
  const wh = rt.webhooks;
  api.post(
    '/webhook_endpoints',
    run(async (c, p) => {
      const b = onlyParameters(await bodyObject(c, rt, ['json']), ['url', 'format', 'dialect', 'enabled_events']);
      const { endpoint, secret } = await wh.add(p.tenantId, {
        url: b.url,
        format: b.format,
        dialect: b.dialect,
        events: b.enabled_events,
        livemode: p.livemode,
      });
      return c.json(endpointView(endpoint, rt.now(), secret), 201);
    }),
  );
  api.get(
    '/webhook_endpoints',
    run(async (c, p) => c.json({ object: 'list', data: (await wh.repo.endpoints(scope(p))).map((e) => endpointView(e, rt.now())) })),
  );
  api.get(
    '/webhook_endpoints/:id',
    run(async (c, p) => c.json(endpointView(await wh.get(scope(p), c.req.param('id') ?? ''), rt.now()))),
  );
  api.delete(
    '/webhook_endpoints/:id',
    run(async (c, p) => {
      const row = await wh.remove(scope(p), c.req.param('id') ?? '');
      return c.json({ id: row.id, object: 'webhook_endpoint', deleted: true });
    }),
  );
  api.post(
    '/webhook_endpoints/:id/roll_secret',
    run(async (c, p) => {
      const b = onlyParameters(await bodyObject(c, rt, ['json']), ['expires_in_seconds']);
      const { endpoint, secret } = await wh.roll(scope(p), c.req.param('id') ?? '', overlapOf(b.expires_in_seconds));
      return c.json(endpointView(endpoint, rt.now(), secret));
    }),
  );
  for (const [path, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    api.post(
      `/webhook_endpoints/:id/${path}`,
      run(async (c, p) => c.json(endpointView(await wh.setEnabled(scope(p), c.req.param('id') ?? '', enabled), rt.now()))),
    );
  }
  api.get(
    '/webhook_endpoints/:id/attempts',
    run(async (c, p) => {
      const endpoint = await wh.get(scope(p), c.req.param('id') ?? '');
      const rows = await wh.repo.attempts(p.tenantId, endpoint.id, 100);
      return c.json({
        object: 'list',
        data: rows.map((r) => ({
          event: r.event_id,
          attempt: Number(r.attempt),
          status: r.status === null ? null : Number(r.status),
          error: r.error,
          duration_ms: Number(r.duration_ms),
          created_at: r.created_at,
        })),
      });
    }),
  );
  api.post(
    '/events/:id/resend',
    run(async (c, p) => {
      const id = c.req.param('id') ?? '';
      // `{"endpoint": "we_…"}`: to that endpoint only (the console's Resend on one endpoint's log);
      // without it, to every endpoint the event went to.
      const { endpoint } = onlyParameters(await bodyObject(c, rt, ['json']), ['endpoint']);
      if (endpoint !== undefined && typeof endpoint !== 'string') {
        throw badParameter('endpoint', 'endpoint must be the id of a webhook endpoint (we_…).');
      }
      // Resent to an endpoint held down: the sender says it is back, so the hold ends (Webhooks.release).
      const resent = await resendEvent(wh, scope(p), id, rt.now(), endpoint);
      if (resent === 0)
        throw new GatewayError('not_found', `No deliveries of event '${id}'${endpoint === undefined ? '' : ` to ${endpoint}`} to resend.`);
      return c.json({ id, object: 'event', resent });
    }),
  );
  return api;
}

/**
 * The paths of Stripe's webhook resources under a Stripe-like dialect's base
 * (stripe-webhook-routes.ts). Plain patterns: one with a regular expression in it would make Hono
 * route the whole app with its slower trie router instead of the RegExpRouter.
 */
const webhookPaths = ['/webhook_endpoints/*', '/events/*'] as const;

/** Whether a request's path (not its query) holds a NUL, percent-encoded as every client sends one. */
export const hasNul = (url: string): boolean => /%00/.test(url.split('?', 1)[0]!);

/**
 * Every webhook route: the gateway's, and Stripe's resources for each Stripe-like dialect (form
 * bodies), which a dev server's simulated failures reach as its customer routes (`afterAuth`).
 */
export function mountWebhooks(app: Hono<GatewayEnv>, dialects: readonly AnyDialect[], rt: Runtime, afterAuth?: AfterAuth): void {
  app.route('/gateway/v1', webhookGatewayApi(dialects, rt));
  for (const dialect of dialects.filter((d) => d.wire.bodies.includes('form'))) {
    const routes = new Hono<GatewayEnv>();
    // On the webhook resources' paths only: mounted under the dialect's own base (Wooshpay's `/v1`),
    // a middleware on every path would run for each of its customer requests too.
    const guard: MiddlewareHandler<GatewayEnv> = async (c, next) => {
      markDialect(c, dialect.name);
      if (hasNul(c.req.url)) {
        // As the gateway API's (app.ts): a NUL names no endpoint or event, on PostgreSQL too.
        const { status, body } = dialect.wire.renderError(
          new GatewayError('not_found', 'No such resource: the path holds a NUL character.'),
        );
        return Response.json(body, { status });
      }
      await next();
    };
    for (const path of webhookPaths) routes.use(path, guard);
    routes.route('/', stripeWebhookRoutes(dialect, rt, afterAuth));
    const base = stripeLikeBase(dialect);
    app.route(`${dialect.routes.prefix}${base}`, routes);
    if (dialect.routes.root === true) app.route(base === '' ? '/' : base, routes);
  }
}
