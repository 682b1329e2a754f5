import type { CreatedTenant } from './support/registered.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { jsonInit, type TestGateway } from './support/gateway.ts';
import { type BehindForwarder, behindForwarder, type LostAnswerForwarder, proxyTenant } from './support/lost-answer.ts';
import type { Provider } from './support/upstream.ts';

// A NUL character in a value: the gateway stores one (JSON text, on every backend), a provider may
// too (B, a second custgate, does), but a provider's answer holding one is refused (a 502: the
// upstream client's answer check). So a proxied write that sends one must be refused before it is
// sent. Before, Meteroid's {"name":"M\u0000x"} through a Wooshpay proxy upstream was committed at
// the provider, answered 502, and every later write of the customer was a 502 too (each answer
// showed the name), while the local copy kept the old name.

let rig: BehindForwarder;
let gw: TestGateway;
let credentials: CreatedTenant['credentials'];
let tenantId: string;
const provider = (): Provider => rig.provider;
const forwarder = (): LostAnswerForwarder => rig.forwarder;

beforeAll(async () => {
  rig = await behindForwarder({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000' });
  gw = rig.gw;
  const tenant = await proxyTenant(rig, 'wooshpay', 'nul-values');
  ({ credentials } = tenant);
  tenantId = tenant.tenant.id;
}, 180_000);

afterAll(() => rig?.close());

async function write(client: DialectName, body: unknown, id?: string) {
  const d = dialects[client];
  const auth = fixturesOf(d).auth(credentials[client] ?? {});
  const path = `${d.routes.prefix}${d.routes.collection}${id === undefined ? '' : `/${id}`}`;
  const res = await gw.request(path, jsonInit(id === undefined ? 'POST' : d.routes.update, body, auth));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The canonical customer, as the tenant sees it. */
async function canonical(id: string): Promise<Record<string, unknown>> {
  const res = await gw.request(`/gateway/v1/customers/${id}`, { headers: fixturesOf(dialects.wooshpay).auth(credentials.wooshpay ?? {}) });
  return (await res.json()) as Record<string, unknown>;
}

async function atProvider(remoteId: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${provider().baseUrl('wooshpay')}/v1/customers/${remoteId}`, {
    headers: fixturesOf(dialects.wooshpay).auth(provider().credentials.wooshpay),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('a NUL character in a value a proxied write sends', () => {
  it('an update is refused in the client’s envelope before it is sent, and the customer stays writable', async () => {
    const created = await write('meteroid', { name: 'Plain', currency: 'USD' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = String(created.body.id);
    const uuid = String(((await canonical(id)) as { ids: { uuid: string } }).ids.uuid);
    const remote = (await gw.store.upstreams.linksOf(tenantId, uuid))[0]?.remote_id ?? '';

    const refused = await write('meteroid', { name: 'M\u0000x' }, id);
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(String(refused.body.message)).toMatch(/^Invalid input: name: .*NUL/);
    expect((await atProvider(remote)).name).toBe('Plain');
    expect((await canonical(id)).name).toBe('Plain');

    const next = await write('meteroid', { phone: '+15550100' }, id);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect((await atProvider(remote)).phone).toBe('+15550100');
  });

  it('a metadata key or value, and a create, are refused the same way; the provider gets no create', async () => {
    const sent = forwarder().creates();
    const create = await write('wooshpay', { name: 'N\u0000ul' });
    expect(create.status, JSON.stringify(create.body)).toBe(400);
    expect(create.body).toMatchObject({ error: { type: 'invalid_request_error', param: 'name' } });
    expect(forwarder().creates()).toBe(sent);

    const created = await write('wooshpay', { name: 'Keys' });
    expect(created.status).toBe(200);
    const id = String(created.body.id);
    for (const metadata of [{ k: 'a\u0000b' }, { 'a\u0000b': 'v' }]) {
      const res = await write('wooshpay', { metadata }, id);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body).toMatchObject({ error: { param: 'metadata' } });
    }
    expect((await canonical(id)).metadata).toEqual({});
  });
});
