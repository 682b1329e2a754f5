import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../dialects/index.ts';
import type { DialectFixtures } from '../src/contract/fixtures.ts';
import { stripeLikeBase } from '../src/http/stripe-webhook-routes.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// Stripe answers a missing object of any resource with its 404 `resource_missing`, naming the
// path's `id` (https://docs.stripe.com/error-codes#resource-missing): a Stripe SDK caller tells
// "gone" from other 404s by `err.code`. A missing webhook endpoint or event answered the 404
// without `code` or `param`, as an unknown URL is answered.

let gw: TestGateway;
const byName: Readonly<Record<string, { readonly fixtures: DialectFixtures }>> = registry;
const stripeLike = Object.values(registry).filter(({ dialect }) => (dialect.wire.bodies as readonly string[]).includes('form'));

beforeAll(async () => {
  gw = await testGateway();
});

describe.each(stripeLike)('$dialect.name answers a missing webhook endpoint or event as Stripe does', ({ dialect }) => {
  const base = `${dialect.routes.prefix}${stripeLikeBase(dialect)}`;
  const headers = () => byName[dialect.name]!.fixtures.auth(gw.tenant.credentials[dialect.name]!);

  it('404 resource_missing, param id, on a retrieve, an update, a delete', async () => {
    const calls: [string, RequestInit, string][] = [
      [`${base}/webhook_endpoints/we_nope`, { headers: headers() }, "No such webhook endpoint: 'we_nope'"],
      [`${base}/webhook_endpoints/we_nope`, jsonInit('POST', { description: 'x' }, headers()), "No such webhook endpoint: 'we_nope'"],
      [`${base}/webhook_endpoints/we_nope`, { method: 'DELETE', headers: headers() }, "No such webhook endpoint: 'we_nope'"],
      [`${base}/events/evt_nope`, { headers: headers() }, "No such event: 'evt_nope'"],
    ];
    for (const [path, init, message] of calls) {
      const res = await gw.request(path, init);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(404);
      expect(v.safeParse(dialect.wire.openapi.errorResponse, body).success).toBe(true);
      expect(body.error).toEqual({ type: 'invalid_request_error', code: 'resource_missing', message, param: 'id' });
    }
  });
});
