import { type Context, Hono } from 'hono';
import type { AnyDialect, Principal } from '../contract/dialect.ts';
import { errorHeaders, GatewayError } from '../contract/errors.ts';
import { withQueryParameters } from '../contract/query-params.ts';
import { eventFacts, isEventType, parseEventId, stripeEvent } from '../webhooks/events.ts';
import { markTenant, requestIdOf } from './access.ts';
import { authenticate } from './authenticate.ts';
import type { GatewayEnv } from './context.ts';
import { requestView } from './request-view.ts';
import { asGatewayError, type Runtime } from './runtime.ts';
import { bodyObject } from './gateway-body.ts';
import { scope } from './webhook-request.ts';
import { creatable, refuseConnect, refuseUnknown, stripeEndpointView, updatable } from './stripe-endpoint-params.ts';
import type { AfterAuth } from './pipeline.ts';
import { expandNames, isTaken, refuseUnknownQuery, type TakenName } from './stripe-query.ts';
import { cursorPage, firstValues, ofQuery, pageRequest } from './list-query.ts';
import { unknownCursor } from '../contract/list.ts';
import { inMode } from '../core/write-checks.ts';

// Stripe's webhook endpoint and event resources (https://docs.stripe.com/api/webhook_endpoints,
// https://docs.stripe.com/api/events) for the Stripe-like dialects, beside their customers, so
// the Stripe SDK's webhookEndpoints and events calls work unchanged. Mounted by webhook-routes.ts.

// What Stripe's list calls take in the query (https://docs.stripe.com/api/pagination,
// https://docs.stripe.com/api/events/list); a retrieve takes `expand` only.
const pageNames: readonly TakenName[] = ['limit', 'starting_after', 'ending_before', ...expandNames];
const eventListNames: readonly TakenName[] = [
  ...pageNames,
  'type',
  'types',
  /^types\[\d*\]$/,
  'delivery_success',
  'created',
  // Its operators are checked by createdRange, which names the ones it takes.
  /^created\[.*\]$/,
];

/**
 * The page Stripe's endpoint list asks for (https://docs.stripe.com/api/webhook_endpoints/list):
 * `limit`, `starting_after`, `ending_before` read by the dialect's customers list, so a bad one
 * is the same 400; `expand` (checked by refuseUnknownQuery) has nothing to expand here.
 */
function endpointPage(dialect: AnyDialect, url: string) {
  const list = dialect.wire.list;
  if (!list) throw new Error(`${dialect.name}: a Stripe-like dialect has Stripe's list`);
  const query = firstValues(new URL(url), (name) => isTaken(name, expandNames));
  const request = pageRequest(list, query);
  if (request.kind !== 'cursor') throw new Error(`${dialect.name}: a Stripe-like dialect lists by cursor`);
  return request;
}

/**
 * A write's parameters: its body and its query string as one set, as a customer write reads them
 * (src/contract/query-params.ts: Stripe does, stripe/stripe-mock#100); one given in both is a 400.
 */
const stripeParameters = async (c: Context<GatewayEnv>, rt: Runtime, dialect: AnyDialect) =>
  withQueryParameters(c.req.url, await bodyObject(c, rt, dialect.wire.bodies)) as Record<string, unknown>;

/** Where a Stripe-like dialect's webhook resources live: beside its customers (`/v1/customers` -> `/v1`). */
export const stripeLikeBase = (dialect: AnyDialect): string => dialect.routes.collection.replace(/\/customers$/, '');

/**
 * Stripe's webhook endpoint and event resources for one Stripe-like dialect, in its envelope;
 * `afterAuth` (a dev server's Custgate-Simulate and simulate rules) fails them as the dialect's
 * customer routes (pipeline.ts).
 */
export function stripeWebhookRoutes(dialect: AnyDialect, rt: Runtime, afterAuth?: AfterAuth): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  const wh = rt.webhooks;
  // What this dialect's Stripe resource reaches, by id as in its list: the key's endpoints of its
  // mode in Stripe's format made for this dialect. Another dialect's (a Standard Webhooks one made
  // through the gateway's API, a Connhex one for Wooshpay) is not found, as in another account.
  const ours = (p: Principal) => ({ ...scope(p), format: 'stripe' as const, dialect: dialect.name });
  const run =
    (action: 'read' | 'update', handler: (c: Context<GatewayEnv>, principal: Principal) => Promise<Response>) =>
    async (c: Context<GatewayEnv>) => {
      try {
        const principal = await authenticate(dialect, requestView(c.req.raw), action, rt, rt.clientAddress(c));
        markTenant(c, principal.tenantId, principal.livemode);
        const after = afterAuth?.(c, dialect, principal);
        if (after !== undefined) await after;
        return await handler(c, principal);
      } catch (error) {
        const e = asGatewayError(error, rt, dialect.name, requestIdOf(c));
        const { status, body } = dialect.wire.renderError(e);
        return Response.json(body, { status, headers: errorHeaders(e) });
      }
    };
  api.post(
    '/webhook_endpoints',
    run('update', async (c, p) => {
      const b = await stripeParameters(c, rt, dialect);
      refuseUnknown(b, creatable);
      refuseConnect(b.connect);
      const { endpoint, secret } = await wh.add(p.tenantId, {
        apiVersion: b.api_version,
        url: b.url,
        format: 'stripe',
        dialect: dialect.name,
        events: b.enabled_events,
        description: b.description,
        metadata: b.metadata,
        livemode: p.livemode,
      });
      return c.json(stripeEndpointView(endpoint, secret));
    }),
  );
  api.post(
    '/webhook_endpoints/:id',
    run('update', async (c, p) => {
      const b = await stripeParameters(c, rt, dialect);
      refuseUnknown(b, updatable);
      const { enabled_events: events, url, description, metadata, disabled } = b;
      const row = await wh.update(ours(p), c.req.param('id') ?? '', { url, events, description, metadata, disabled });
      return c.json(stripeEndpointView(row));
    }),
  );
  api.get(
    '/webhook_endpoints',
    run('read', async (c, p) => {
      refuseUnknownQuery(c.req.url, pageNames);
      const request = endpointPage(dialect, c.req.url);
      // Oldest first from the store: newest first, as Stripe lists them and the customers list pages.
      const rows = (await wh.repo.endpoints(ours(p))).reverse();
      const page = cursorPage(rows, request, (e) => e.id, 'webhook endpoint');
      return c.json({ object: 'list', data: page.items.map((e) => stripeEndpointView(e)), has_more: page.hasMore, url: c.req.path });
    }),
  );
  api.get(
    '/webhook_endpoints/:id',
    run('read', async (c, p) => {
      refuseUnknownQuery(c.req.url, expandNames);
      return c.json(stripeEndpointView(await wh.get(ours(p), c.req.param('id') ?? '')));
    }),
  );
  api.delete(
    '/webhook_endpoints/:id',
    run('update', async (c, p) => {
      const row = await wh.remove(ours(p), c.req.param('id') ?? '');
      return c.json({ id: row.id, object: 'webhook_endpoint', deleted: true });
    }),
  );
  api.get(
    '/events/:id',
    run('read', async (c, p) => {
      refuseUnknownQuery(c.req.url, expandNames);
      const id = c.req.param('id') ?? '';
      const ref = parseEventId(id);
      const facts = ref && (await eventFacts(rt.store, p.tenantId, ref.customerId, ref.version));
      // Another mode's event is not found, as Stripe answers a test key asking for a live event.
      if (!facts || facts.id !== id || facts.createdAt < retainedSince(rt) || facts.customer.livemode !== p.livemode)
        throw new GatewayError('not_found', `No such event: '${id}'`, { reference: id });
      return c.json(await eventWithRequest(rt, facts, dialect));
    }),
  );
  api.get(
    '/events',
    run('read', async (c, p) => {
      refuseUnknownQuery(c.req.url, eventListNames);
      const q = new URL(c.req.url).searchParams;
      const limit = q.has('limit') ? Number(q.get('limit')) : 10;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new GatewayError('invalid_request', 'limit must be a whole number from 1 to 100.', {
          issues: [{ path: ['limit'], kind: 'value', message: 'limit must be a whole number from 1 to 100.' }],
        });
      }
      const types = typesOf(q);
      const known = types?.filter(isEventType);
      const created = createdRange(q);
      const delivered = deliverySuccess(q);
      const after = q.get('starting_after');
      const before = q.get('ending_before');
      if (after !== null && before !== null) {
        const message = 'You may only specify one of these parameters: ending_before, starting_after.';
        throw new GatewayError('invalid_request', message, { issues: [{ path: ['ending_before'], kind: 'value', message }] });
      }
      const cursor = after ?? before;
      const anchor = cursor === null ? undefined : await eventInMode(rt, p, cursor);
      if (cursor !== null && !anchor)
        throw ofQuery(unknownCursor('event', { ref: cursor, param: before !== null ? 'ending_before' : 'starting_after' }));
      const rows =
        // A name no customer event has matches nothing; a list is the events of the names it has.
        known?.length === 0
          ? []
          : await wh.repo.events({
              tenantId: p.tenantId,
              livemode: p.livemode,
              createdAfter: retainedSince(rt),
              limit: limit + 1,
              ...(known ? { types: known } : {}),
              ...(created.gte !== undefined ? { createdGte: new Date(created.gte * 1000).toISOString() } : {}),
              ...(created.lt !== undefined ? { createdBefore: new Date(created.lt * 1000).toISOString() } : {}),
              ...(delivered !== undefined ? { delivered } : {}),
              ...(anchor ? (before !== null ? { after: anchor } : { before: anchor }) : {}),
            });
      // Newest first either way; the extra row that tells has_more is the newest for ending_before.
      const page = before !== null ? rows.slice(Math.max(0, rows.length - limit)) : rows.slice(0, limit);
      const data = [];
      for (const row of page) {
        const facts = await eventFacts(rt.store, p.tenantId, row.customer_id, row.version);
        if (facts) data.push(await eventWithRequest(rt, facts, dialect));
      }
      return c.json({ object: 'list', data, has_more: rows.length > limit, url: c.req.path });
    }),
  );
  return api;
}

/**
 * Stripe's `type` (one name, `*` a wildcard) or `types` (a list: `types[]=` or `types[0]=`; not both,
 * https://docs.stripe.com/api/events/list#list_events-types): the names asked for, or undefined
 * for every customer event.
 */
function typesOf(q: URLSearchParams): string[] | undefined {
  const type = q.get('type');
  const listed = [...q].filter(([name]) => /^types\[\d*\]$/.test(name)).map(([, value]) => value);
  if (q.has('types')) {
    // An array in Stripe's form encoding; one bare value is not read as a list of one.
    const message = 'Invalid array: types is a list, sent as types[]=customer.updated.';
    throw new GatewayError('invalid_request', message, { issues: [{ path: ['types'], kind: 'type', message }] });
  }
  if (type !== null && listed.length > 0) {
    const message = 'You may pass either type or types, but not both.';
    throw new GatewayError('invalid_request', message, { issues: [{ path: ['types'], kind: 'value', message }] });
  }
  const names = type === null ? listed : [type];
  return names.length === 0 || names.some((t) => t === '*' || t === 'customer.*') ? undefined : names;
}

/** Stripe's `delivery_success` (https://docs.stripe.com/api/events/list#list_events-delivery_success), a boolean. */
function deliverySuccess(q: URLSearchParams): boolean | undefined {
  const given = q.get('delivery_success');
  if (given === null) return undefined;
  if (given === 'true' || given === 'false') return given === 'true';
  const message = `Invalid boolean: ${given}`;
  throw new GatewayError('invalid_request', message, { issues: [{ path: ['delivery_success'], kind: 'value', message }] });
}

const createdOps = ['gt', 'gte', 'lt', 'lte'] as const;

/**
 * Stripe's `created` filter (https://docs.stripe.com/api/events/list#list_events-created): a Unix
 * time, or any of `created[gt|gte|lt|lte]`, as whole seconds from `gte` up to before `lt`. An
 * event's `created` is its time in whole seconds, so `gt` T is `gte` T+1 and `lte` T is `lt` T+1.
 */
function createdRange(q: URLSearchParams): { gte?: number; lt?: number } {
  const refused = (message: string) =>
    new GatewayError('invalid_request', message, { issues: [{ path: ['created'], kind: 'value', message }] });
  const unix = (name: string): number | undefined => {
    const text = q.get(name);
    if (text === null) return undefined;
    if (!/^\d{1,12}$/.test(text)) throw refused(`${name} must be a Unix timestamp.`);
    return Number(text);
  };
  for (const [name] of q) {
    const op = /^created\[(.*)\]$/.exec(name)?.[1];
    if (op !== undefined && !createdOps.includes(op as never))
      throw refused(`Received unknown parameter: ${name}; created takes ${createdOps.map((o) => `created[${o}]`).join(', ')}.`);
  }
  const exact = unix('created');
  const lower = [unix('created[gte]'), mapDefined(unix('created[gt]'), (t) => t + 1), exact];
  const upper = [unix('created[lt]'), mapDefined(unix('created[lte]'), (t) => t + 1), mapDefined(exact, (t) => t + 1)];
  const gte = lower.filter((t) => t !== undefined);
  const lt = upper.filter((t) => t !== undefined);
  return { ...(gte.length > 0 ? { gte: Math.max(...gte) } : {}), ...(lt.length > 0 ? { lt: Math.min(...lt) } : {}) };
}

const mapDefined = <T, U>(value: T | undefined, f: (value: T) => U): U | undefined => (value === undefined ? undefined : f(value));

/**
 * The event a list cursor names, only if it is of the caller's mode: another mode's is no cursor,
 * as its retrieve is a 404, so a test key cannot learn that a live event exists (nor when it came).
 */
async function eventInMode(rt: Runtime, p: Principal, id: string) {
  const anchor = await rt.webhooks.repo.eventById(p.tenantId, id);
  const customer = anchor && (await rt.store.findCustomer(p.tenantId, 'uuid', anchor.customer_id));
  return customer && inMode(customer, p.livemode) ? anchor : undefined;
}

const retainedSince = (rt: Runtime): string => new Date(rt.now().getTime() - rt.config.webhooks.eventDays * 86400_000).toISOString();

/** The event with the request that caused it and its undelivered count, from its delivery rows. */
async function eventWithRequest(rt: Runtime, facts: NonNullable<Awaited<ReturnType<typeof eventFacts>>>, dialect: AnyDialect) {
  const ref = parseEventId(facts.id);
  const deliveries = ref ? await rt.webhooks.repo.deliveriesOf(facts.tenantId, ref.customerId, ref.version) : [];
  // An event from before migration 0055 has its request only in its deliveries.
  const first = facts.requestId === null ? deliveries[0] : undefined;
  const withRequest = first ? { ...facts, requestId: first.request_id, idempotencyKey: first.idempotency_key } : facts;
  const pending = deliveries.filter((d) => d.state !== 'delivered').length;
  return stripeEvent(withRequest, dialect, pending);
}
