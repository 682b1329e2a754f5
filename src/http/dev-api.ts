import { Hono } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { decodeBody } from '../contract/body.ts';
import { type SimulateRuleInput, simulateRule } from '../contract/simulation.ts';
import { randomBase62 } from '../core/index.ts';
import { deleteSimulateRule, insertSimulateRule, listSimulateRules, ruleView } from '../store/simulate-rules.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { type ResetReport, resetAnswer, resetTenant } from '../store/tenant-reset.ts';
import type { SimulateRules } from './simulate-rules.ts';
import { requestIdOf } from './access.ts';
import type { GatewayEnv } from './context.ts';
import { gatewayAuth, gatewayError } from './gateway-api.ts';
import { badParameter, onlyParameters } from './gateway-body.ts';
import type { Runtime } from './runtime.ts';

// What the gateway offers a developer running it beside their tests, never in production
// (NODE_ENV=production): there each of these answers 403 and does nothing.

const offInProduction = (what: string) =>
  new GatewayError('forbidden', `${what} is a development feature: it is off with NODE_ENV=production.`);

/**
 * Fixtures that passed their check failed to load after the reset (a store error): said so, the
 * tenant being empty now. The store's own words go to the log with the request id, not to the
 * client, as every other internal error's do (runtime.ts, asGatewayError).
 */
function reloadFailed(error: unknown, deleted: ResetReport, rt: Runtime, requestId: string | undefined): GatewayError {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  rt.logger.error('reset_fixtures_failed', { request_id: requestId ?? null, name, message });
  const logged = requestId === undefined ? 'the cause is logged' : `the cause is logged with request id ${requestId}`;
  return new GatewayError(
    'internal',
    `The tenant was reset (${deleted.customers} customer(s) deleted), but its fixtures, which passed their check, failed to load (${logged}). It is empty now; reset it again to load them.`,
  );
}

export function devApi(dialects: readonly AnyDialect[], rt: Runtime, rules: SimulateRules): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  api.onError((error, c) => gatewayError(error, rt, requestIdOf(c)));
  // Empties the calling tenant's customers, events, idempotency keys and outbox; credentials stay.
  api.post('/reset', gatewayAuth(dialects, rt), async (c) => {
    const { tenantId } = c.get('principal');
    if (rt.config.production) throw offInProduction('POST /gateway/v1/reset');
    const tenant = await findTenant(rt.store, tenantId);
    // Read and checked before anything is emptied: fixtures the load would refuse are a 409, and the
    // tenant keeps its customers.
    const load = await rt.resetFixtures?.(tenantId);
    const report = await resetTenant(rt.store, tenantId);
    const fixtures = load && (await load().catch((error: unknown) => Promise.reject(reloadFailed(error, report, rt, requestIdOf(c)))));
    return c.json(resetAnswer(tenant, report, fixtures));
  });
  // The tenant's last requests through any dialect, newest first (request-log.ts).
  api.get('/requests', gatewayAuth(dialects, rt), async (c) => {
    const { tenantId, livemode } = c.get('principal');
    if (!rt.requestLog.enabled) throw new GatewayError('not_found', 'The request log is off (CUSTGATE_REQUEST_LOG_SIZE=0).');
    const { status, path, limit } = c.req.query();
    // A filter it cannot read is said so: ignored, `?limit=abc` listed everything and `?status=abc`
    // nothing, each a 200 (and `custgate logs tail --status abc` followed nothing for ever).
    if (limit !== undefined && !(/^\d{1,5}$/.test(limit) && Number(limit) >= 1))
      throw badParameter('limit', `limit must be a whole number from 1, not '${limit}'.`);
    if (status !== undefined && !/^[1-5](\d\d|xx)$/.test(status))
      throw badParameter('status', `status must be a status code (404) or a class (4xx), not '${status}'.`);
    const data = rt.requestLog.list(tenantId, livemode, {
      ...(status ? { status } : {}),
      ...(path ? { path } : {}),
      ...(limit ? { limit: Number(limit) } : {}),
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
    const spec = simulateRule(ruleInput(await decodeBody(c.req.raw, ['json'], rt.config.bodyLimitBytes)), dialects);
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

/**
 * A rule's body as `custgate simulate add` takes its options: `{"status": "503", "path", "method",
 * "every", "times"}`, status and counts as text or numbers. Said plainly what is wrong: a JSON
 * array was read as an object whose `every` was Array.prototype.every ("received Function").
 */
function ruleInput(body: unknown): SimulateRuleInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new GatewayError('invalid_request', 'A rule is a JSON object: {"status": "503", "path": "/v1/customers", "times": 1}.');
  const fields = onlyParameters(body as Record<string, unknown>, ['status', 'path', 'method', 'every', 'times']);
  const text = (name: string, max: number, numbers: boolean): string | undefined => {
    const value = fields[name];
    if (value === undefined) return undefined;
    if ((typeof value === 'string' && value.length <= max) || (numbers && typeof value === 'number')) return String(value);
    throw badParameter(name, `${name} must be ${numbers ? 'a number or ' : ''}a string of at most ${max} characters.`);
  };
  const status = text('status', 64, true);
  if (status === undefined)
    throw new GatewayError('invalid_request', 'status is required: 500, 503, rate_limit, latency:<ms>, timeout[:<ms>], …', {
      issues: [{ path: ['status'], kind: 'missing', message: 'status is required.' }],
    });
  return {
    status,
    path: text('path', 255, false),
    method: text('method', 16, false),
    every: text('every', 8, true),
    times: text('times', 8, true),
  };
}
