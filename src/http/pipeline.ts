import type { Context } from 'hono';
import type { Customer } from '../../schemas/index.ts';
import { sha256Hex } from '../auth/index.ts';
import { maxKeyLength } from '../core/index.ts';
import type { Action, AnyDialect, Principal } from '../dialect.ts';
import { errorHeaders, GatewayError } from '../errors.ts';
import { markTenant } from './access.ts';
import { authenticate } from './authenticate.ts';
import { decodeBody, queryExpand } from './body.ts';
import { requestView } from './request-view.ts';
import { asGatewayError, type Runtime } from './runtime.ts';
import { validate } from './validate.ts';

export type Handler = (c: Context) => Promise<Response>;

export interface DialectHandlers {
  readonly read: Handler;
  readonly update: Handler;
  readonly create: Handler;
  readonly notFound: Handler;
}

const jsonType = 'application/json; charset=utf-8';

export const etagOf = (customer: Customer): string => `"v${customer.version}"`;

function json(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': jsonType, ...headers } });
}

/** If-Match -> the version it names; `*` or absent -> undefined; anything else can never match. */
function expectedVersion(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*"v(\d{1,15})"\s*$/.exec(header);
  return match ? Number(match[1]) : -1;
}

/**
 * Sends the write's outbox deliveries without holding up the answer: on Workers inside waitUntil
 * (the isolate may stop once the response is out), on Node in the background.
 */
function drainAfterWrite(c: Context, rt: Runtime): void {
  const dispatcher = rt.dispatcher;
  if (!dispatcher || !rt.drainAfterWrite) return;
  const drained = dispatcher.kick();
  let waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  try {
    const ctx = c.executionCtx;
    waitUntil = ctx.waitUntil.bind(ctx);
  } catch {
    // no execution context: Node
  }
  waitUntil?.(drained);
}

/** The generic request pipeline (DESIGN.md), one set of handlers per dialect. */
export function dialectHandlers(dialect: AnyDialect, rt: Runtime): DialectHandlers {
  const fail = (error: unknown): Response => {
    const e = asGatewayError(error, rt, dialect.name);
    const { status, body } = dialect.renderError(e);
    return json(status, JSON.stringify(body), errorHeaders(e));
  };

  const render = (customer: Customer, principal: Principal, expand: readonly string[]) =>
    JSON.stringify(dialect.render(customer, { expand, principal }));

  async function write(c: Context, action: Exclude<Action, 'read'>): Promise<Response> {
    const req = requestView(c.req.raw);
    const principal = await authenticate(dialect, req, action, rt, rt.clientAddress(c));
    markTenant(c, principal.tenantId);
    const checked = dialect.checkRequest?.(req);
    if (checked) throw checked;
    const raw = await decodeBody(c.req.raw, dialect.bodies, rt.config.bodyLimitBytes);
    const schema = action === 'create' ? dialect.request.create : dialect.request.update;
    const body = validate(schema, raw);
    const patch = action === 'create' ? dialect.createPatch(body) : dialect.updatePatch(body);
    const expand = dialect.expand?.(body) ?? [];
    const status = action === 'create' ? dialect.createdStatus : 200;
    const segment = action === 'update' ? c.req.param('id') ?? '' : '';
    const version = action === 'update' ? expectedVersion(req.header('if-match')) : undefined;

    const key = dialect.idempotency ? req.header('idempotency-key') : undefined;
    if (key !== undefined) {
      if (key.length === 0 || key.length > maxKeyLength) {
        throw new GatewayError('invalid_request', `Idempotency-Key must be 1 to ${maxKeyLength} characters.`, {
          issues: [{ path: ['header', 'idempotency-key'], kind: 'value', message: 'Invalid Idempotency-Key.' }],
        });
      }
      const hash = await sha256Hex(`${c.req.method} ${new URL(c.req.url).pathname}\n${JSON.stringify(raw)}`);
      const begun = await rt.idempotency.begin(principal.tenantId, key, hash, rt.now());
      if (begun.kind === 'replay') {
        return json(begun.status, begun.body, { 'idempotent-replayed': 'true', 'idempotency-key': key });
      }
    }
    // The body stored with an idempotency key is the body sent: rendered once.
    let rendered: { readonly customer: Customer; readonly body: string } | undefined;
    const renderOnce = (customer: Customer) =>
      rendered?.customer === customer ? rendered.body : (rendered = { customer, body: render(customer, principal, expand) }).body;
    try {
      const ctx = {
        principal,
        dialect: dialect.name,
        metadataMaxKeys: dialect.metadataMaxKeys,
        expectedVersion: version,
        idempotencyKey: key,
        respond: (customer: Customer) => ({ status, body: renderOnce(customer) }),
        replicated: () => drainAfterWrite(c, rt),
      };
      const customer =
        action === 'create'
          ? await rt.customers.create(patch, ctx)
          : await rt.customers.update(dialect.ids, segment, patch, ctx);
      const headers: Record<string, string> = { etag: etagOf(customer) };
      if (key !== undefined) headers['idempotency-key'] = key;
      return json(status, renderOnce(customer), headers);
    } catch (error) {
      // Nothing was written: the key may be used again.
      if (key !== undefined) await rt.idempotency.abandon(principal.tenantId, key).catch(() => undefined);
      throw error;
    }
  }

  return {
    read: async (c) => {
      try {
        const req = requestView(c.req.raw);
        const principal = await authenticate(dialect, req, 'read', rt, rt.clientAddress(c));
        markTenant(c, principal.tenantId);
        const checked = dialect.checkRequest?.(req);
        if (checked) throw checked;
        // A dialect that takes expand[] in bodies checks the query's with the same schema (unknown
        // path: 400); its update schema must accept a body of only `expand`, as Stripe-like ones do.
        const asked = queryExpand(c.req.url);
        const expand =
          dialect.expand && asked.length > 0 ? dialect.expand(validate(dialect.request.update, { expand: asked })) : [];
        const customer = await rt.customers.get(principal, dialect.ids, c.req.param('id') ?? '');
        return json(200, render(customer, principal, expand), { etag: etagOf(customer) });
      } catch (error) {
        return fail(error);
      }
    },
    update: (c) => write(c, 'update').catch(fail),
    create: (c) => write(c, 'create').catch(fail),
    notFound: async (c) => fail(new GatewayError('not_found', `Unrecognized request URL (${c.req.method}: ${new URL(c.req.url).pathname}).`)),
  };
}
