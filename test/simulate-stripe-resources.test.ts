import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../dialects/index.ts';
import type { DialectFixtures } from '../src/contract/fixtures.ts';
import { stripeLikeBase } from '../src/http/stripe-webhook-routes.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// Custgate-Simulate and the simulate rules fail "a request to any dialect" and, with no --path,
// "every path" (docs/dev-server.md): the Stripe-like dialects' webhook endpoints and events are
// theirs too, where a client's Stripe SDK registers its endpoint and pulls events. They were
// answered as if no failure had been asked for. The gateway's own API is not failed, so a rule
// can always be listed and removed.

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});
afterAll(() => gw?.store.executor.close());

const byName: Readonly<Record<string, { readonly fixtures: DialectFixtures }>> = registry;
const stripeLike = Object.values(registry).filter(({ dialect }) => (dialect.wire.bodies as readonly string[]).includes('form'));
const gatewayAuth = () => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` });

describe.each(stripeLike)('$dialect.name webhook endpoints and events', ({ dialect }) => {
  const base = `${dialect.routes.prefix}${stripeLikeBase(dialect)}`;
  const headers = (extra: Record<string, string> = {}) => ({
    ...byName[dialect.name]!.fixtures.auth(gw.tenant.credentials[dialect.name]!),
    ...extra,
  });
  const envelope = (body: unknown) => v.safeParse(dialect.wire.openapi.errorResponse, body).success;
  const endpoints = async () =>
    ((await (await gw.request(`${base}/webhook_endpoints`, { headers: headers() })).json()) as { data: unknown[] }).data.length;

  it('Custgate-Simulate fails them in the provider envelope; nothing is made', async () => {
    const before = await endpoints();
    const made = await gw.request(
      `${base}/webhook_endpoints`,
      jsonInit('POST', { url: 'https://example.com/hooks' }, headers({ 'custgate-simulate': 'status=503' })),
    );
    expect(made.status).toBe(503);
    expect(envelope(await made.json())).toBe(true);
    expect(await endpoints()).toBe(before);
    const listed = await gw.request(`${base}/events`, { headers: headers({ 'custgate-simulate': 'rate_limit' }) });
    expect(listed.status).toBe(429);
    expect(listed.headers.get('retry-after')).toBe('1');
    expect(envelope(await listed.json())).toBe(true);
    expect((await gw.request(`${base}/events`, { headers: headers() })).status).toBe(200);
  });

  it('a rule with no path fails them; the gateway API still lists and removes it', async () => {
    const added = await gw.request('/gateway/v1/simulate', jsonInit('POST', { status: '500' }, gatewayAuth()));
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: string };
    try {
      const read = await gw.request(`${base}/webhook_endpoints`, { headers: headers() });
      expect(read.status).toBe(500);
      expect(envelope(await read.json())).toBe(true);
      expect((await gw.request('/gateway/v1/simulate', { headers: gatewayAuth() })).status).toBe(200);
    } finally {
      expect((await gw.request(`/gateway/v1/simulate/${id}`, { method: 'DELETE', headers: gatewayAuth() })).status).toBe(200);
    }
    expect((await gw.request(`${base}/webhook_endpoints`, { headers: headers() })).status).toBe(200);
  });
});
