import { Hono } from 'hono';
import type { Customer, IdKind } from '../../schemas/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { type ErrorCode, errorHeaders, GatewayError } from '../contract/errors.ts';
import { coverageMatrix } from '../gateway/coverage.ts';
import { deliveryView, shadowSummary } from '../outbox/views.ts';
import { unreadableUpstreams } from '../upstream/client.ts';
import { listUpstreams } from '../upstream/registry.ts';
import { dialectNamed, translate } from '../gateway/translate.ts';
import { markTenant } from './access.ts';
import { authenticateAny } from './authenticate.ts';
import { databaseReachable, probeAuthorized } from './probes.ts';
import { decodeBody } from './body.ts';
import { etagOf } from './pipeline.ts';
import { requestView } from './request-view.ts';
import { asGatewayError, type Runtime } from './runtime.ts';

// The gateway's own API: canonical views that no provider dialect has. Its envelope:
// {"error":{"code","message","issues"?}}.

const statusByCode = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  invalid_request: 400,
  malformed_body: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
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

export function gatewayError(error: unknown, rt: Runtime): Response {
  const e = asGatewayError(error, rt, 'gateway');
  const body: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details.issues) body.issues = e.details.issues;
  return Response.json({ error: body }, { status: statusByCode[e.code], headers: errorHeaders(e) });
}

export function gatewayApi(dialects: readonly AnyDialect[], rt: Runtime): Hono {
  const api = new Hono();
  // Liveness: up or down to anyone; with the probe token, the database's state, the outbox's depth
  // and the upstreams whose credentials cannot be read. /ready is the load balancer's yes or no.
  api.get('/health', async (c) => {
    const up = await databaseReachable(rt.store);
    const status = up ? 'ok' : 'degraded';
    const code = up ? 200 : 503;
    if (!(await probeAuthorized(c.req.header('authorization'), rt.config.probeToken))) return c.json({ status }, code);
    const outbox = up ? await rt.store.outbox.counts().catch(() => null) : null;
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

  api.get('/customers/:ref/deliveries', async (c) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt);
      const customer = await rt.customers.get(principal, anyId, c.req.param('ref'));
      const rows = await rt.store.outbox.list({ tenantId: principal.tenantId, customerId: customer.uuid });
      return c.json({ customer: customer.uuid, object: 'list', data: rows.map(deliveryView) });
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  api.get('/shadow', async (c) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt);
      return c.json(await shadowSummary(rt.store, principal.tenantId));
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  api.get('/customers/:ref', async (c) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt, rt.clientAddress(c));
      markTenant(c, principal.tenantId);
      const ref = c.req.param('ref');
      // ?refresh=true: the proxy upstream's current state, taken into the local copy.
      const customer =
        c.req.query('refresh') === 'true'
          ? await rt.customers.refresh(principal, anyId, ref)
          : await rt.customers.get(principal, anyId, ref);
      return c.json(canonicalView(customer), 200, { etag: etagOf(customer) });
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  api.get('/customers/:ref/events', async (c) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt, rt.clientAddress(c));
      markTenant(c, principal.tenantId);
      const { customer, events } = await rt.customers.events(principal, anyId, c.req.param('ref'));
      return c.json({ customer: customer.uuid, object: 'list', data: events });
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  api.get('/customers/:ref/links', async (c) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt);
      const customer = await rt.customers.get(principal, anyId, c.req.param('ref'));
      const links = await rt.store.upstreams.linksOf(principal.tenantId, customer.uuid);
      const data = links.map((l) => ({ upstream_id: l.upstream_id, remote_id: l.remote_id, created_at: l.created_at }));
      return c.json({ customer: customer.uuid, object: 'list', data });
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  // The tenant's upstreams, never their credentials.
  api.get('/upstreams', async (c) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt);
      return c.json({ object: 'list', data: await listUpstreams(rt.store, principal.tenantId) });
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  // One customer as every dialect shows it (the console's side-by-side panes).
  api.get('/customers/:ref/views', async (c) => {
    try {
      const principal = await authenticateAny(dialects, requestView(c.req.raw), rt);
      const customer = await rt.customers.get(principal, anyId, c.req.param('ref'));
      const views = Object.fromEntries(
        dialects.map((d) => [d.name, { title: d.title, body: d.wire.render(customer, { expand: [], principal }) }]),
      );
      return c.json({ customer: canonicalView(customer), views }, 200, { etag: etagOf(customer) });
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  api.get('/coverage', (c) => c.json(coverageMatrix()));

  api.post('/translate', async (c) => {
    try {
      await authenticateAny(dialects, requestView(c.req.raw), rt, rt.clientAddress(c));
      const from = dialectNamed(c.req.query('from'), 'from');
      const to = dialectNamed(c.req.query('to'), 'to');
      const raw = await decodeBody(c.req.raw, from.wire.bodies, rt.config.bodyLimitBytes);
      const result = translate(from, to, raw);
      if (c.req.query('strict') === 'true' && result.losses.length > 0) {
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
    } catch (error) {
      return gatewayError(error, rt);
    }
  });

  api.all('*', (c) => gatewayError(new GatewayError('not_found', `No such gateway route: ${c.req.method} ${c.req.path}`), rt));
  return api;
}
