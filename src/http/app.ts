import { Hono } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { dialectList } from '../contract/registry.ts';
import { accessMiddleware, markDialect, requestIdOf } from './access.ts';
import type { GatewayEnv } from './context.ts';
import { devApi } from './dev-api.ts';
import { bookApi } from './book-routes.ts';
import { upstreamAdminApi } from './upstream-admin-routes.ts';
import { inFlightMiddleware } from './in-flight.ts';
import { gatewayApi, gatewayError } from './gateway-api.ts';
import type { Handler } from './context.ts';
import { type AfterAuth, type DialectHandlers, dialectHandlers } from './pipeline.ts';
import { probeAuthorized } from './probes.ts';
import { requestView } from './request-view.ts';
import { responseHeaders } from './response-headers.ts';
import { corsFor } from './cors.ts';
import { dialectOfCredential, dialectOfPath } from './stray.ts';
import { createRuntime, type GatewayDeps, type Runtime } from './runtime.ts';
import { SimulateHeader } from './simulate.ts';
import { onReset } from '../store/tenant-reset.ts';
import { SimulateRules } from './simulate-rules.ts';
import { webRoutes } from '../web/index.ts';
import { hasNul, mountWebhooks } from './webhook-routes.ts';

export type { GatewayDeps } from './runtime.ts';

/** The app with its request variables typed (context.ts). */
export type GatewayApp = Hono<GatewayEnv>;

function mount(app: GatewayApp, base: string, dialect: AnyDialect, h: DialectHandlers): void {
  const collection = `${base}${dialect.routes.collection}`;
  app.post(collection, h.create);
  app.get(collection, h.list);
  app.get(`${collection}/:id`, h.read);
  app.on(dialect.routes.update, `${collection}/:id`, h.update);
  if (dialect.wire.delete) app.delete(`${collection}/:id`, h.delete);
}

/** The same handlers, each first recording which dialect serves the request (access log, request id). */
function tagged(dialect: AnyDialect, h: DialectHandlers): DialectHandlers {
  const tag =
    (handler: Handler): Handler =>
    (c) => {
      markDialect(c, dialect.name);
      return handler(c);
    };
  return {
    read: tag(h.read),
    list: tag(h.list),
    update: tag(h.update),
    create: tag(h.create),
    delete: tag(h.delete),
    notFound: tag(h.notFound),
    fail: h.fail,
  };
}

/** The handler for a request on `path` by this dialect, or its not-found. */
function route(dialect: AnyDialect, h: DialectHandlers, method: string, item: boolean): Handler {
  if (!item) return method === 'POST' ? h.create : method === 'GET' ? h.list : h.notFound;
  if (method === 'GET') return h.read;
  if (method === 'DELETE' && dialect.wire.delete) return h.delete;
  return method === dialect.routes.update ? h.update : h.notFound;
}

/**
 * The whole gateway for any runtime: every dialect from the registry under its prefix (and at the
 * root where its path is its own, or dispatched by credential shape where two dialects share a
 * path), plus the gateway's own API under /gateway/v1.
 */
export function createApp(deps: GatewayDeps): GatewayApp {
  return createGateway(deps).app;
}

/** The app and the runtime it serves from, for an entry that also runs the runtime's jobs (the Worker's cron). */
export function createGateway(deps: GatewayDeps): { readonly app: GatewayApp; readonly runtime: Runtime } {
  const rt = createRuntime(deps);
  const app: GatewayApp = new Hono<GatewayEnv>();
  const all = dialectList(deps.registry);
  const requestIdHeaders = new Map(all.flatMap((d) => (d.wire.requestIdHeader ? [[d.name, d.wire.requestIdHeader] as const] : [])));
  app.use(responseHeaders(requestIdHeaders));
  // The dev server's failures on purpose, once the caller is known: the header, else the tenant's rules.
  const header = new SimulateHeader(rt);
  const rules = new SimulateRules(rt);
  const afterAuth: AfterAuth = (c, dialect, principal) => header.apply(c, dialect, principal) ?? rules.apply(c, dialect, principal);
  // What this process keeps of a tenant beside the store goes with a reset through it (tenant-reset.ts).
  onReset(rt.store, (tenantId) => {
    header.reset(tenantId);
    rules.reset(tenantId);
    rt.requestLog.forget(tenantId);
  });
  const handlers = new Map(all.map((d) => [d, tagged(d, dialectHandlers(d, rt, { afterAuth, all }))] as const));

  const logger = deps.logger ?? rt.logger;
  const observers = [...(logger.access ? [logger.access.bind(logger)] : []), ...(deps.observers ?? [])];
  app.use('*', accessMiddleware(observers));
  // After the access entry: a preflight CORS answers itself is a request too, with its id and line.
  const cors = corsFor(deps.config.corsOrigins);
  if (cors) app.use(cors);
  app.use('*', inFlightMiddleware(rt.inFlight, rt.clientAddress, rt.pace));

  // Off in production (CUSTGATE_REQUEST_LOG_SIZE 0): not a step of every request then.
  if (rt.requestLog.enabled) app.use('*', rt.requestLog.middleware(deps.config.bodyLimitBytes));
  app.use('/gateway/v1/*', async (c, next) => {
    markDialect(c, 'gateway');
    // No id the gateway API takes holds NUL, and PostgreSQL refuses the character in a query
    // (a 500 there, where SQLite found nothing): such a path names nothing.
    if (hasNul(c.req.url))
      return gatewayError(new GatewayError('not_found', 'No such resource: the path holds a NUL character.'), rt, requestIdOf(c));
    await next();
  });
  // Before the gateway API, whose catch-all would answer for these paths.
  app.route('/gateway/v1', devApi(all, rt, rules));
  app.route('/gateway/v1', bookApi(all, rt));
  app.route('/gateway/v1', upstreamAdminApi(all, rt));
  mountWebhooks(app, all, rt, afterAuth);
  app.route('/gateway/v1', gatewayApi(all, rt));
  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', async (c) => {
      markDialect(c, 'gateway');
      if (!(await probeAuthorized(c.req.header('authorization'), deps.config.probeToken))) {
        const message = deps.config.probeToken
          ? '/metrics needs the probe token as a bearer token.'
          : '/metrics is off until CUSTGATE_PROBE_TOKEN is set (docs/security.md).';
        return gatewayError(new GatewayError('unauthenticated', message), rt, requestIdOf(c));
      }
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { 'content-type': contentType });
    });
  } else {
    // A Worker has no scrape endpoint (docs/operations.md): say so in the gateway's envelope, as
    // the Node server's 401 does, rather than the first dialect's unknown-URL 404.
    app.get('/metrics', (c) => {
      markDialect(c, 'gateway');
      const message = "/metrics is not served on this runtime: it is the Node server's (custgate serve; docs/operations.md).";
      return gatewayError(new GatewayError('not_found', message), rt, requestIdOf(c));
    });
  }
  // Before the dialects: `/<dialect>/openapi.json` is under a dialect's prefix.
  app.route(
    '/',
    webRoutes(
      deps.registry,
      deps.docsAssets,
      // Its errors are GatewayErrors (not-founds), which are never logged.
      (e) => gatewayError(e, rt, undefined),
      () => app.routes,
    ),
  );

  for (const dialect of all) {
    const h = handlers.get(dialect)!;
    mount(app, dialect.routes.prefix, dialect, h);
    app.all(`${dialect.routes.prefix}/*`, h.notFound);
    if (dialect.routes.root === true) {
      mount(app, '', dialect, h);
      // Under its own root collection a path is the dialect's whatever the credential
      // (`PUT /api/customers/1/`, `//1`, an odd method): its 404, not the gateway's.
      app.all(`${dialect.routes.collection}/*`, h.notFound);
    }
  }

  // Root paths served by more than one dialect: the credential's shape picks one.
  const shared = new Map<string, AnyDialect[]>();
  for (const d of all.filter((d) => d.routes.root === 'shared')) {
    shared.set(d.routes.collection, [...(shared.get(d.routes.collection) ?? []), d]);
  }
  for (const [collection, candidates] of shared) {
    const pick = (c: Parameters<Handler>[0]) => {
      const req = requestView(c.req.raw);
      const dialect = candidates.find((d) => d.auth.ownsRequest?.(req)) ?? candidates[0]!;
      return { dialect, h: handlers.get(dialect)! };
    };
    app.all(collection, (c) => {
      const { dialect, h } = pick(c);
      return route(dialect, h, c.req.method, false)(c);
    });
    app.all(`${collection}/:id`, (c) => {
      const { dialect, h } = pick(c);
      return route(dialect, h, c.req.method, true)(c);
    });
    app.all(`${collection}/*`, (c) => pick(c).h.notFound(c));
  }

  app.notFound((c) => {
    const dialect = dialectOfCredential(all, requestView(c.req.raw), deps.config.jwt) ?? dialectOfPath(all, c.req.path);
    if (dialect) return handlers.get(dialect)!.notFound(c);
    return gatewayError(new GatewayError('not_found', `No such route: ${c.req.method} ${c.req.path}`), rt, requestIdOf(c));
  });
  app.onError((error, c) => gatewayError(error, rt, requestIdOf(c)));
  return { app, runtime: rt };
}
