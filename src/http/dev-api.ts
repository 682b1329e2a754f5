import { Hono } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { resetTenant } from '../store/tenant-reset.ts';
import type { GatewayEnv } from './context.ts';
import { gatewayAuth, gatewayError } from './gateway-api.ts';
import type { Runtime } from './runtime.ts';

// What the gateway offers a developer running it beside their tests, never in production
// (NODE_ENV=production): there each of these answers 403 and does nothing.

const offInProduction = (what: string) =>
  new GatewayError('forbidden', `${what} is a development feature: it is off with NODE_ENV=production.`);

export function devApi(dialects: readonly AnyDialect[], rt: Runtime): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  api.onError((error) => gatewayError(error, rt));
  // Empties the calling tenant's customers, events, idempotency keys and outbox; credentials stay.
  api.post('/reset', gatewayAuth(dialects, rt), async (c) => {
    const { tenantId } = c.get('principal');
    if (rt.config.production) throw offInProduction('POST /gateway/v1/reset');
    const report = await resetTenant(rt.store, tenantId);
    return c.json({ object: 'reset', tenant: tenantId, deleted: report });
  });
  // The tenant's last requests through any dialect, newest first (request-log.ts).
  api.get('/requests', gatewayAuth(dialects, rt), async (c) => {
    const { tenantId } = c.get('principal');
    if (!rt.requestLog.enabled) throw new GatewayError('not_found', 'The request log is off (CUSTGATE_REQUEST_LOG_SIZE=0).');
    const { status, path, limit } = c.req.query();
    const data = rt.requestLog.list(tenantId, {
      ...(status ? { status } : {}),
      ...(path ? { path } : {}),
      ...(limit && /^\d{1,5}$/.test(limit) ? { limit: Number(limit) } : {}),
    });
    return c.json({ object: 'list', data });
  });
  return api;
}
