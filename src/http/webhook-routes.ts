import { type Context, Hono } from 'hono';
import type { AnyDialect, Principal } from '../contract/dialect.ts';
import { errorHeaders, GatewayError } from '../contract/errors.ts';
import type { EndpointRow } from '../webhooks/index.ts';
import { eventFacts, isEventType, parseEventId, stripeEvent } from '../webhooks/events.ts';
import { markDialect, markTenant } from './access.ts';
import { authenticate, authenticateAny } from './authenticate.ts';
import { decodeBody } from '../contract/body.ts';
import type { GatewayEnv } from './context.ts';
import { gatewayError } from './gateway-api.ts';
import { requestView } from './request-view.ts';
import { asGatewayError, type Runtime } from './runtime.ts';

// Webhook endpoints and events over HTTP (#28, docs/webhooks.md): the gateway's own API under
// /gateway/v1, and for the Stripe-like dialects Stripe's webhook endpoint and event resources
// (https://docs.stripe.com/api/webhook_endpoints, https://docs.stripe.com/api/events) beside their
// customers, so the Stripe SDK's webhookEndpoints and events calls work unchanged.

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
const enabledEvents = (row: EndpointRow): string[] => JSON.parse(row.events) as string[];

export function endpointView(row: EndpointRow, secret?: string) {
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
    created_at: row.created_at,
    ...(row.previous_until ? { previous_secret_until: row.previous_until } : {}),
    ...(secret !== undefined ? { secret } : {}),
  };
}

function stripeEndpointView(row: EndpointRow, secret?: string) {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    api_version: null,
    application: null,
    created: seconds(row.created_at),
    description: null,
    enabled_events: enabledEvents(row),
    livemode: Number(row.livemode) === 1,
    metadata: {},
    status: row.status,
    url: row.url,
    ...(secret !== undefined ? { secret } : {}),
  };
}

const body = async (c: Context<GatewayEnv>, rt: Runtime, formats: AnyDialect['wire']['bodies']): Promise<Record<string, unknown>> => {
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
const scope = (p: Principal) => ({ tenantId: p.tenantId, livemode: p.livemode });

const overlapOf = (given: unknown): number | undefined => {
  if (given === undefined) return undefined;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 0 || n > 7 * 86400) {
    throw new GatewayError('invalid_request', 'expires_in_seconds must be a whole number of seconds from 0 to 604800.');
  }
  return n * 1000;
};

/** /gateway/v1/webhook_endpoints…: any credential of the tenant, the gateway's envelope. */
export function webhookGatewayApi(dialects: readonly AnyDialect[], rt: Runtime): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  const run = (handler: (c: Context<GatewayEnv>, principal: Principal) => Promise<Response>) => async (c: Context<GatewayEnv>) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt, rt.clientAddress(c));
      markTenant(c, principal.tenantId);
      return await handler(c, principal);
    } catch (error) {
      return gatewayError(error, rt);
    }
  };
  const wh = rt.webhooks;
  api.post(
    '/webhook_endpoints',
    run(async (c, p) => {
      const b = await body(c, rt, ['json']);
      const { endpoint, secret } = await wh.add(p.tenantId, {
        url: b.url,
        format: b.format,
        dialect: b.dialect,
        events: b.enabled_events,
        livemode: p.livemode,
      });
      return c.json(endpointView(endpoint, secret), 201);
    }),
  );
  api.get(
    '/webhook_endpoints',
    run(async (c, p) => c.json({ object: 'list', data: (await wh.repo.endpoints(scope(p))).map((e) => endpointView(e)) })),
  );
  api.get(
    '/webhook_endpoints/:id',
    run(async (c, p) => c.json(endpointView(await wh.get(scope(p), c.req.param('id') ?? '')))),
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
      const b = await body(c, rt, ['json']);
      const { endpoint, secret } = await wh.roll(scope(p), c.req.param('id') ?? '', overlapOf(b.expires_in_seconds));
      return c.json(endpointView(endpoint, secret));
    }),
  );
  for (const [path, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    api.post(
      `/webhook_endpoints/:id/${path}`,
      run(async (c, p) => c.json(endpointView(await wh.setEnabled(scope(p), c.req.param('id') ?? '', enabled)))),
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
      const ref = parseEventId(id);
      const resent = ref ? await wh.repo.resend(scope(p), ref.customerId, ref.version, rt.now().toISOString()) : 0;
      if (resent === 0) throw new GatewayError('not_found', `No deliveries of event '${id}' to resend.`);
      wh.committed();
      return c.json({ id, object: 'event', resent });
    }),
  );
  return api;
}

/** Where a Stripe-like dialect's webhook resources live: beside its customers (`/v1/customers` -> `/v1`). */
export const stripeLikeBase = (dialect: AnyDialect): string => dialect.routes.collection.replace(/\/customers$/, '');

/** Stripe's webhook endpoint and event resources for one Stripe-like dialect, in its envelope. */
export function stripeWebhookRoutes(dialect: AnyDialect, rt: Runtime): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  const wh = rt.webhooks;
  const run =
    (action: 'read' | 'update', handler: (c: Context<GatewayEnv>, principal: Principal) => Promise<Response>) =>
    async (c: Context<GatewayEnv>) => {
      try {
        const principal = await authenticate(dialect, requestView(c.req.raw), action, rt, rt.clientAddress(c));
        markTenant(c, principal.tenantId);
        return await handler(c, principal);
      } catch (error) {
        const e = asGatewayError(error, rt, dialect.name);
        const { status, body } = dialect.wire.renderError(e);
        return Response.json(body, { status, headers: errorHeaders(e) });
      }
    };
  api.post(
    '/webhook_endpoints',
    run('update', async (c, p) => {
      const b = await body(c, rt, dialect.wire.bodies);
      const { endpoint, secret } = await wh.add(p.tenantId, {
        url: b.url,
        format: 'stripe',
        dialect: dialect.name,
        events: b.enabled_events,
        livemode: p.livemode,
      });
      return c.json(stripeEndpointView(endpoint, secret));
    }),
  );
  api.get(
    '/webhook_endpoints',
    run('read', async (c, p) => {
      const rows = (await wh.repo.endpoints(scope(p))).filter((e) => e.format === 'stripe' && e.dialect === dialect.name);
      return c.json({ object: 'list', data: rows.map((e) => stripeEndpointView(e)), has_more: false, url: c.req.path });
    }),
  );
  api.get(
    '/webhook_endpoints/:id',
    run('read', async (c, p) => c.json(stripeEndpointView(await wh.get(scope(p), c.req.param('id') ?? '')))),
  );
  api.delete(
    '/webhook_endpoints/:id',
    run('update', async (c, p) => {
      const row = await wh.remove(scope(p), c.req.param('id') ?? '');
      return c.json({ id: row.id, object: 'webhook_endpoint', deleted: true });
    }),
  );
  api.get(
    '/events/:id',
    run('read', async (c, p) => {
      const id = c.req.param('id') ?? '';
      const ref = parseEventId(id);
      const facts = ref && (await eventFacts(rt.store, p.tenantId, ref.customerId, ref.version));
      // Another mode's event is not found, as Stripe answers a test key asking for a live event.
      if (!facts || facts.createdAt < retainedSince(rt) || facts.customer.livemode !== p.livemode)
        throw new GatewayError('not_found', `No such event: '${id}'`);
      return c.json(await eventWithRequest(rt, facts, dialect));
    }),
  );
  api.get(
    '/events',
    run('read', async (c, p) => {
      const q = new URL(c.req.url).searchParams;
      const limit = q.has('limit') ? Number(q.get('limit')) : 10;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new GatewayError('invalid_request', 'limit must be a whole number from 1 to 100.', {
          issues: [{ path: ['limit'], kind: 'value', message: 'limit must be a whole number from 1 to 100.' }],
        });
      }
      const type = q.get('type');
      const types = type === null || type === '*' || type === 'customer.*' ? undefined : [type];
      const known = types?.filter(isEventType);
      const gte = q.get('created[gte]') ?? (q.has('created[gt]') ? String(Number(q.get('created[gt]')) + 1) : q.get('created'));
      if (gte !== null && !/^\d{1,12}$/.test(gte)) throw new GatewayError('invalid_request', 'created must be a Unix timestamp.');
      const after = q.get('starting_after');
      const ref = after === null ? undefined : parseEventId(after);
      const anchor = ref && (await wh.repo.event(p.tenantId, ref.customerId, ref.version));
      if (after !== null && !anchor) throw new GatewayError('invalid_request', `No such event: '${after}'`);
      const rows =
        types && known?.length !== types.length
          ? []
          : await wh.repo.events({
              tenantId: p.tenantId,
              livemode: p.livemode,
              createdAfter: retainedSince(rt),
              limit: limit + 1,
              ...(known ? { types: known } : {}),
              ...(gte !== null ? { createdGte: new Date(Number(gte) * 1000).toISOString() } : {}),
              ...(q.get('delivery_success') === 'false' ? { undelivered: true } : {}),
              ...(anchor ? { before: anchor } : {}),
            });
      const data = [];
      for (const row of rows.slice(0, limit)) {
        const facts = await eventFacts(rt.store, p.tenantId, row.customer_id, row.version);
        if (facts) data.push(await eventWithRequest(rt, facts, dialect));
      }
      return c.json({ object: 'list', data, has_more: rows.length > limit, url: c.req.path });
    }),
  );
  return api;
}

const retainedSince = (rt: Runtime): string => new Date(rt.now().getTime() - rt.config.webhooks.eventDays * 86400_000).toISOString();

/** The event with the request that caused it and its undelivered count, from its delivery rows. */
async function eventWithRequest(rt: Runtime, facts: NonNullable<Awaited<ReturnType<typeof eventFacts>>>, dialect: AnyDialect) {
  const ref = parseEventId(facts.id);
  const deliveries = ref ? await rt.webhooks.repo.deliveriesOf(facts.tenantId, ref.customerId, ref.version) : [];
  const first = deliveries[0];
  const withRequest = first ? { ...facts, requestId: first.request_id, idempotencyKey: first.idempotency_key } : facts;
  const pending = deliveries.filter((d) => d.state !== 'delivered').length;
  return stripeEvent(withRequest, dialect, pending);
}

/** Every webhook route: the gateway's, and Stripe's resources for each Stripe-like dialect (form bodies). */
export function mountWebhooks(app: Hono<GatewayEnv>, dialects: readonly AnyDialect[], rt: Runtime): void {
  app.route('/gateway/v1', webhookGatewayApi(dialects, rt));
  for (const dialect of dialects.filter((d) => d.wire.bodies.includes('form'))) {
    const routes = new Hono<GatewayEnv>();
    routes.use(async (c, next) => {
      markDialect(c, dialect.name);
      await next();
    });
    routes.route('/', stripeWebhookRoutes(dialect, rt));
    const base = stripeLikeBase(dialect);
    app.route(`${dialect.routes.prefix}${base}`, routes);
    if (dialect.routes.root === true) app.route(base === '' ? '/' : base, routes);
  }
}
