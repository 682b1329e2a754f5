import { Hono } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { addUpstreamChecked } from '../upstream/add-checked.ts';
import { upstreamDetailFor } from '../upstream/history-modes.ts';
import { removeUpstream, setWebhookSecret } from '../upstream/registry.ts';
import { requestIdOf } from './access.ts';
import type { GatewayEnv } from './context.ts';
import { gatewayAuth, gatewayError } from './gateway-api.ts';
import { badParameter, bodyObject, onlyParameters } from './gateway-body.ts';
import type { Runtime } from './runtime.ts';
import { refuseTestKeyOverLive } from './upstream-keys.ts';

// Adding and removing a tenant's upstreams over the gateway's API, as `custgate upstream add`,
// `upstream remove` and `upstream webhook-secret` do (the same functions: src/upstream/), so a
// deployment with no CLI on its database (Workers + D1) can set up a proxy, mirror or shadow.
// - POST /gateway/v1/upstreams {"dialect","base_url","mode"?,"credentials","encoding"?,"webhook_secret"?}
// - DELETE /gateway/v1/upstreams/{id}
// - PUT /gateway/v1/upstreams/{id}/webhook-secret {"secret": "…" | null}
// Which keys may: upstream-keys.ts.

/** How long the loop check waits for the base URL, as `upstream add` does. */
const loopCheckMs = 3_000;

const optionalString = (fields: Record<string, unknown>, name: string): string | undefined => {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badParameter(name, `${name} must be a string.`);
  return value;
};

const requiredString = (fields: Record<string, unknown>, name: string, what: string): string => {
  const value = optionalString(fields, name);
  if (value === undefined) throw badParameter(name, `${name} is required: ${what}.`);
  return value;
};

export function upstreamAdminApi(dialects: readonly AnyDialect[], rt: Runtime): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  api.onError((error, c) => gatewayError(error, rt, requestIdOf(c)));
  const update = gatewayAuth(dialects, rt, 'update');
  const admin = { keyring: rt.keyring, dialects };

  api.post('/upstreams', update, async (c) => {
    const principal = c.get('principal');
    const taken = ['dialect', 'base_url', 'mode', 'credentials', 'encoding', 'webhook_secret'];
    const fields = onlyParameters(await bodyObject(c, rt, ['json']), taken);
    const dialect = requiredString(fields, 'dialect', `one of ${dialects.map((d) => d.name).join(', ')}`);
    const baseUrl = requiredString(fields, 'base_url', "the provider's API base URL");
    const { credentials } = fields;
    if (credentials === undefined)
      throw badParameter('credentials', "credentials are required, shaped as the dialect's entry of `tenant create --json`.");
    const mode = optionalString(fields, 'mode') ?? 'proxy';
    const encoding = optionalString(fields, 'encoding');
    const webhookSecret = optionalString(fields, 'webhook_secret');
    await refuseTestKeyOverLive(rt.store, principal, 'add an upstream');
    const input = { dialect, baseUrl, mode, credentials, encoding, webhookSecret };
    const probe = { gatewayId: rt.gatewayId, transport: rt.transport, timeoutMs: loopCheckMs };
    const added = await addUpstreamChecked(rt.store, admin, principal.tenantId, input, probe, rt.now());
    const detail = await upstreamDetailFor(rt.store, principal.tenantId, added.id, principal.livemode);
    const shown = added.warnings ? { ...detail, warnings: added.warnings } : detail;
    return c.json(shown, 201, { location: `/gateway/v1/upstreams/${added.id}` });
  });

  api.delete('/upstreams/:id', update, async (c) => {
    const principal = c.get('principal');
    const id = c.req.param('id');
    await refuseTestKeyOverLive(rt.store, principal, 'remove an upstream');
    if (!(await removeUpstream(rt.store, principal.tenantId, id, rt.now())))
      throw new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });
    return c.json({ id, object: 'upstream', deleted: true });
  });

  // {"secret": "whsec_…"} or {"secret": null}: take no webhooks from it.
  api.put('/upstreams/:id/webhook-secret', update, async (c) => {
    const principal = c.get('principal');
    const { secret } = onlyParameters(await bodyObject(c, rt, ['json']), ['secret']);
    if (secret !== null && typeof secret !== 'string')
      throw badParameter('secret', 'secret is required: the string the provider signs its webhooks with, or null for none.');
    const id = c.req.param('id');
    await refuseTestKeyOverLive(rt.store, principal, "change an upstream's webhook secret");
    await setWebhookSecret(rt.store, admin, principal.tenantId, id, secret, 'secret');
    return c.json(await upstreamDetailFor(rt.store, principal.tenantId, id, principal.livemode));
  });
  return api;
}
