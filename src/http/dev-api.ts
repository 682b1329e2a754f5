import { Hono } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import * as v from 'valibot';
import { decodeBody } from '../contract/body.ts';
import { simulateRule } from '../contract/simulation.ts';
import { randomBase62 } from '../core/index.ts';
import { deleteSimulateRule, insertSimulateRule, listSimulateRules, ruleView } from '../store/simulate-rules.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { type ResetReport, resetAnswer, resetTenant } from '../store/tenant-reset.ts';
import type { SimulateRules } from './simulate-rules.ts';
import type { GatewayEnv } from './context.ts';
import { gatewayAuth, gatewayError } from './gateway-api.ts';
import type { Runtime } from './runtime.ts';

// What the gateway offers a developer running it beside their tests, never in production
// (NODE_ENV=production): there each of these answers 403 and does nothing.

const offInProduction = (what: string) =>
  new GatewayError('forbidden', `${what} is a development feature: it is off with NODE_ENV=production.`);

/** Fixtures that passed their check failed to load after the reset (a store error): said so, the tenant being empty now. */
function reloadFailed(error: unknown, deleted: ResetReport, rt: Runtime): GatewayError {
  const why = error instanceof Error ? error.message : String(error);
  rt.logger.error('reset_fixtures_failed', { message: why });
  const message = `The tenant was reset (${deleted.customers} customer(s) deleted), but its fixtures, which passed their check, failed to load: ${why.replace(/\.$/, '')}. It is empty now; reset it again to load them.`;
  return new GatewayError('internal', message);
}

export function devApi(dialects: readonly AnyDialect[], rt: Runtime, rules: SimulateRules): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  api.onError((error) => gatewayError(error, rt));
  // Empties the calling tenant's customers, events, idempotency keys and outbox; credentials stay.
  api.post('/reset', gatewayAuth(dialects, rt), async (c) => {
    const { tenantId } = c.get('principal');
    if (rt.config.production) throw offInProduction('POST /gateway/v1/reset');
    const tenant = await findTenant(rt.store, tenantId);
    // Read and checked before anything is emptied: fixtures the load would refuse are a 409, and the
    // tenant keeps its customers.
    const load = await rt.resetFixtures?.(tenantId);
    const report = await resetTenant(rt.store, tenantId);
    const fixtures = load && (await load().catch((error: unknown) => Promise.reject(reloadFailed(error, report, rt))));
    return c.json(resetAnswer(tenant, report, fixtures));
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
  // The calling tenant's simulate rules (simulate-rules.ts): the same as `custgate simulate …`.
  api.get('/simulate', gatewayAuth(dialects, rt), async (c) => {
    if (rt.config.production) throw offInProduction('/gateway/v1/simulate');
    const data = await listSimulateRules(rt.store, c.get('principal').tenantId);
    return c.json({ object: 'list', data: data.map(ruleView) });
  });
  api.post('/simulate', gatewayAuth(dialects, rt, 'update'), async (c) => {
    const { tenantId } = c.get('principal');
    if (rt.config.production) throw offInProduction('/gateway/v1/simulate');
    const body = await decodeBody(c.req.raw, ['json'], rt.config.bodyLimitBytes);
    const input = v.safeParse(ruleBody, body);
    if (!input.success) throw new GatewayError('invalid_request', `A rule: ${v.summarize(input.issues)}`);
    const spec = simulateRule(input.output, dialects);
    if (typeof spec === 'string') throw new GatewayError('invalid_request', spec.replace(/--(\w+)/g, '$1'));
    const row = { id: `sim_${randomBase62(14)}`, tenant_id: tenantId, ...spec, created_at: rt.now().toISOString() };
    await insertSimulateRule(rt.store, row);
    rules.changed(tenantId);
    return c.json(ruleView(row), 201);
  });
  api.delete('/simulate/:id', gatewayAuth(dialects, rt, 'update'), async (c) => {
    const { tenantId } = c.get('principal');
    if (rt.config.production) throw offInProduction('/gateway/v1/simulate');
    const id = c.req.param('id');
    if (!(await deleteSimulateRule(rt.store, tenantId, id))) throw new GatewayError('not_found', `No simulate rule ${id}.`);
    rules.changed(tenantId);
    return c.json({ id, object: 'simulate_rule', deleted: true });
  });
  return api;
}

const count = v.union([v.pipe(v.string(), v.maxLength(8)), v.number()]);
const ruleBody = v.strictObject({
  status: v.pipe(v.string(), v.maxLength(64)),
  path: v.optional(v.pipe(v.string(), v.maxLength(255))),
  method: v.optional(v.pipe(v.string(), v.maxLength(16))),
  every: v.optional(count),
  times: v.optional(count),
});
