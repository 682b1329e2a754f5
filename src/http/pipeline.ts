import type { Context } from 'hono';
import * as v from 'valibot';
import type { Customer } from '../../schemas/index.ts';
import { listCustomers } from '../core/index.ts';
import type { ProxyWrite } from '../upstream/proxy.ts';
import type { Action, AnyDialect, Principal } from '../contract/dialect.ts';
import { errorHeaders, GatewayError } from '../contract/errors.ts';
import { markTenant, requestIdOf } from './access.ts';
import { refuseCrowded } from './in-flight.ts';
import { authenticate } from './authenticate.ts';
import { withQueryParameters } from '../contract/query-params.ts';
import { decodeBody, queryExpand } from '../contract/body.ts';
import { requestView } from './request-view.ts';
import { answer } from './response-headers.ts';
import { asGatewayError, type Runtime } from './runtime.ts';
import { validate } from '../contract/validate.ts';
import { checkedUpdateBody } from './update-body.ts';
import { inDialectTerms } from '../contract/field-path.ts';
import { loopMessage, passedThrough } from '../upstream/loop.ts';
import { SimulatedAnswer } from './simulate-rules.ts';
import { authHint, hinted } from './auth-hint.ts';
import type { Handler } from './context.ts';
import { currentTrace, traceNow } from '../request-trace.ts';
import { etagOf, expectedVersionsOf } from './etag.ts';
import { waitUntilOf } from './wait-until.ts';
import { expandNames, refuseUnknownQuery } from './stripe-query.ts';
import { firstValues, ofQuery, pageRequest } from './list-query.ts';

export interface DialectHandlers {
  readonly read: Handler;
  readonly list: Handler;
  readonly update: Handler;
  readonly create: Handler;
  /** `DELETE` on a customer, where the dialect has one (else its not-found). */
  readonly delete: Handler;
  readonly notFound: Handler;
  /** Any error as this dialect answers it (what is logged names the request). */
  readonly fail: (c: Context, error: unknown) => Response;
}

const jsonType = 'application/json; charset=utf-8';

function json(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': jsonType, ...headers } });
}

/**
 * A decoded body as text with every object's keys sorted: the parameters an Idempotency-Key is
 * held to. Stripe compares parameters, not their order on the wire, so a retry that sends the same
 * parameters in another order (a map rebuilt, a form re-encoded) is the same request. Arrays keep
 * their order: `preferred_locales[0]` is not `preferred_locales[1]`.
 */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

const notFoundRoute = (c: Context) =>
  new GatewayError('not_found', `Unrecognized request URL (${c.req.method}: ${new URL(c.req.url).pathname}).`);

/**
 * Runs once the caller is known (a dev server's simulate rules): may throw the request's answer;
 * undefined when there is nothing to wait for.
 */
export type AfterAuth = (c: Context, dialect: AnyDialect, principal: Principal) => Promise<void> | undefined;

export interface PipelineOptions {
  readonly afterAuth?: AfterAuth;
  /** Every dialect served, for the hint that a credential is another dialect's (auth-hint.ts). */
  readonly all?: readonly AnyDialect[];
}

/** The generic request pipeline, one set of handlers per dialect. */
export function dialectHandlers(dialect: AnyDialect, rt: Runtime, options: PipelineOptions = {}): DialectHandlers {
  const { afterAuth, all = [dialect] } = options;
  const requestIdHeader = dialect.wire.requestIdHeader ?? 'x-request-id';
  const stripeForm = dialect.wire.bodies.includes('form');
  /** A JSON answer with every header it needs already in it (response-headers.ts). */
  const ok = (c: Context, status: number, body: string, headers?: Record<string, string>): Response =>
    answer(c, requestIdHeader, status, body, jsonType, headers);
  const fail = (c: Context, error: unknown): Response => {
    if (error instanceof SimulatedAnswer) return error.response;
    const e = inDialectTerms(asGatewayError(error, rt, dialect.name, requestIdOf(c)), dialect);
    const { status, body } = dialect.wire.renderError(e);
    return json(status, JSON.stringify(body), errorHeaders(e));
  };

  /** Renders for one request; the same customer twice (the stored reply and the answer) renders once. */
  const renderer = (principal: Principal, expand: readonly string[]) => {
    let last: { readonly customer: Customer; readonly body: string } | undefined;
    return (customer: Customer): string => {
      if (last?.customer !== customer) last = { customer, body: JSON.stringify(dialect.wire.render(customer, { expand, principal })) };
      return last.body;
    };
  };

  /** What every request starts with: the caller, authenticated for the action, and the request checks. */
  async function caller(c: Context, action: Action) {
    // Before anything else: a request that went round must not go round again.
    const via = c.req.header('via');
    if (via !== undefined && passedThrough(via, await rt.gatewayId())) throw new GatewayError('loop_detected', loopMessage);
    refuseCrowded(c);
    const req = requestView(c.req.raw);
    let principal: Principal;
    try {
      principal = await authenticate(dialect, req, action, rt, rt.clientAddress(c));
    } catch (error) {
      throw hinted(error, () => authHint(dialect, all, req, rt.config.jwt, rt.now()));
    }
    markTenant(c, principal.tenantId, principal.livemode);
    const checked = dialect.auth.checkRequest?.(req);
    if (checked) throw checked;
    // Most requests meet no rule: then there is nothing to wait for (simulate-rules.ts).
    const after = afterAuth?.(c, dialect, principal);
    if (after !== undefined) await after;
    return { req, principal };
  }

  /** What a create and an update share: the caller and the decoded body. */
  async function prepare(c: Context, action: Exclude<Action, 'read'>) {
    const { req, principal } = await caller(c, action);
    const body = await decodeBody(c.req.raw, dialect.wire.bodies, rt.config.bodyLimitBytes);
    // A Stripe-like API reads a write's query string as parameters too (query-params.ts).
    const raw = stripeForm ? withQueryParameters(c.req.url, body) : body;
    const trace = currentTrace();
    if (trace) trace.body = traceNow();
    return { c, req, principal, raw };
  }
  type Prepared = Awaited<ReturnType<typeof prepare>>;

  /** Runs the write under its Idempotency-Key, rendering the result once for the key and the answer. */
  async function written(
    { c, req, principal, raw }: Prepared,
    status: number,
    expand: readonly string[],
    write: (ctx: ProxyWrite) => Promise<Customer>,
  ): Promise<Response> {
    const key = dialect.idempotency ? req.header('idempotency-key') : undefined;
    // Only a request with a key is fingerprinted. A key first used before parameters were sorted
    // was held to them in wire order: that fingerprint still matches, so its retry still replays.
    const head = key === undefined ? '' : `${c.req.method} ${new URL(c.req.url).pathname}\n`;
    const fingerprint = key === undefined ? [] : [`${head}${sortedJson(raw)}`, `${head}${JSON.stringify(raw)}`];
    const reply = await rt.idempotency.around(principal.tenantId, key, fingerprint, rt.now(), async (held) => {
      const render = renderer(principal, expand);
      const keep = held && ((customer: Customer) => ({ ...held, status, body: render(customer) }));
      const customer = await write({
        principal,
        dialect: dialect.name,
        metadataMaxKeys: dialect.metadataMaxKeys,
        keep,
        idempotencyKey: key,
        retried: held?.retried,
        requestId: requestIdOf(c),
        via: c.req.header('via'),
        background: waitUntilOf(c),
      });
      return { status, body: render(customer), headers: { etag: etagOf(customer) } };
    });
    const headers: Record<string, string> = reply.replayed ? { 'idempotent-replayed': 'true' } : { ...reply.headers };
    if (key !== undefined) headers['idempotency-key'] = key;
    return ok(c, reply.status, reply.body, headers);
  }

  async function create(c: Context): Promise<Response> {
    const prepared = await prepare(c, 'create');
    const body = validate(dialect.wire.request.create, prepared.raw);
    const patch = dialect.translation.createPatch(body);
    const expand = dialect.wire.expand?.of(body) ?? [];
    return written(prepared, dialect.wire.createdStatus, expand, (ctx) => rt.customers.create(patch, ctx));
  }

  async function update(c: Context): Promise<Response> {
    const prepared = await prepare(c, 'update');
    const request = { principal: prepared.principal, id: c.req.param('id') ?? '', via: c.req.header('via') };
    const { output: body, held } = await checkedUpdateBody(dialect, rt, request, prepared.raw);
    const patch = dialect.translation.updatePatch(body);
    const expand = dialect.wire.expand?.of(body) ?? [];
    const expectedVersions = expectedVersionsOf(prepared.req.header('if-match'));
    // Values let past this dialect's limits are checked against the customer the write is planned
    // on, as this dialect shows it (src/contract/held-limits.ts).
    const heldPastLimits =
      held &&
      ((current: Customer) => {
        const refused = held.check(dialect.wire.render(current, { expand: [], principal: prepared.principal }));
        if (refused) throw refused;
      });
    try {
      return await written(prepared, 200, expand, (ctx) =>
        rt.customers.update(dialect.ids, c.req.param('id') ?? '', patch, { ...ctx, expectedVersions, heldPastLimits }),
      );
    } catch (error) {
      // No customer holds anything: the body is refused as it was before it was read.
      if (held && error instanceof GatewayError && error.code === 'not_found') throw held.refusal;
      throw error;
    }
  }

  /** A deleted customer, retrieved: as its provider answers for one (a tombstone, the archived customer, or a 404). */
  function readDeleted(c: Context, customer: Customer, principal: Principal): Response {
    const spec = dialect.wire.delete;
    const ref = c.req.param('id') ?? '';
    if (!spec || spec.retrieve === 'not_found')
      return fail(c, new GatewayError('not_found', `No such customer: '${ref}'`, { reference: ref }));
    const ctx = { expand: [], principal };
    const body = spec.retrieve === 'tombstone' && spec.tombstone ? spec.tombstone(customer, ctx) : dialect.wire.render(customer, ctx);
    return ok(c, 200, JSON.stringify(body), { etag: etagOf(customer) });
  }

  async function remove(c: Context): Promise<Response> {
    const spec = dialect.wire.delete;
    if (!spec) return fail(c, notFoundRoute(c));
    const { req, principal } = await caller(c, 'delete');
    const { customer } = await rt.customers.delete(
      dialect.ids,
      c.req.param('id') ?? '',
      {
        principal,
        dialect: dialect.name,
        expectedVersions: expectedVersionsOf(req.header('if-match')),
        requestId: requestIdOf(c),
        via: c.req.header('via'),
        background: waitUntilOf(c),
      },
      spec.again,
    );
    const { status, body } = spec.answer(customer, { expand: [], principal });
    if (body === undefined) return new Response(null, { status });
    return ok(c, status, JSON.stringify(body));
  }

  // A read's `?expand[]=` is checked against the dialect's expandable paths, as a body's is.
  const expandQuery = dialect.wire.expand && v.strictObject({ expand: dialect.wire.expand.paths });

  return {
    read: async (c) => {
      try {
        const { principal } = await caller(c, 'read');
        // `expand` is Stripe's: where a dialect takes it, its retrieve takes nothing else in the
        // query, as Stripe's (src/http/stripe-query.ts). An unknown path is a 400, as in a body.
        if (expandQuery) refuseUnknownQuery(c.req.url, expandNames);
        const asked = queryExpand(c.req.url);
        const expand = expandQuery && asked.length > 0 ? validate(expandQuery, { expand: asked }).expand : [];
        const id = c.req.param('id') ?? '';
        const { customer, deleted } = await rt.customers.read(principal, dialect.ids, id, c.req.header('via'));
        if (deleted) return readDeleted(c, customer, principal);
        const body = rt.renderedReads.body(dialect.name, principal, expand, customer, () => renderer(principal, expand)(customer));
        return ok(c, 200, body, { etag: etagOf(customer) });
      } catch (error) {
        return fail(c, error);
      }
    },
    list: async (c) => {
      try {
        const list = dialect.wire.list;
        if (!list) return fail(c, notFoundRoute(c));
        const { principal } = await caller(c, 'read');
        const url = new URL(c.req.url);
        const request = pageRequest(list, firstValues(url));
        let page: Awaited<ReturnType<typeof listCustomers>>;
        try {
          page = await listCustomers(rt.store, principal, dialect.ids, request);
        } catch (error) {
          throw ofQuery(error);
        }
        const item = (customer: Customer) => dialect.wire.render(customer, { expand: [], principal });
        return ok(c, 200, JSON.stringify(list.render(page, { principal, path: url.pathname, item })));
      } catch (error) {
        return fail(c, error);
      }
    },
    update: (c) => update(c).catch((error: unknown) => fail(c, error)),
    create: (c) => create(c).catch((error: unknown) => fail(c, error)),
    delete: (c) => remove(c).catch((error: unknown) => fail(c, error)),
    notFound: async (c) => fail(c, notFoundRoute(c)),
    fail,
  };
}
