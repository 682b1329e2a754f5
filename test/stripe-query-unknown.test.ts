import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../dialects/index.ts';
import type { DialectFixtures } from '../src/contract/fixtures.ts';
import { stripeLikeBase } from '../src/http/stripe-webhook-routes.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// Stripe answers a query parameter a GET does not take with its 400 `parameter_unknown`
// (https://docs.stripe.com/api/errors), as the customers list here does (test/list.test.ts). The
// events list, the webhook endpoints and a customer's retrieve read such a parameter as absent:
// `GET /v1/events?typ=customer.deleted` answered 200 with every event, `limt=1` a full page.

let gw: TestGateway;
const byName: Readonly<Record<string, { readonly fixtures: DialectFixtures }>> = registry;
const stripeLike = Object.values(registry).filter(({ dialect }) => (dialect.wire.bodies as readonly string[]).includes('form'));
type StripeError = { error: { code?: string; param?: string; message: string } };

beforeAll(async () => {
  gw = await testGateway();
});

describe.each(stripeLike)('$dialect.name refuses a query parameter its GET does not take', ({ dialect }) => {
  const base = `${dialect.routes.prefix}${stripeLikeBase(dialect)}`;
  const headers = () => byName[dialect.name]!.fixtures.auth(gw.tenant.credentials[dialect.name]!);

  async function refused(path: string, param: string) {
    const res = await gw.request(path, { headers: headers() });
    const body = (await res.json()) as StripeError;
    expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(400);
    expect(v.safeParse(dialect.wire.openapi.errorResponse, body).success).toBe(true);
    expect(body.error).toMatchObject({ code: 'parameter_unknown', param, message: `Received unknown parameter: ${param}` });
  }

  it('the events list, an event, the webhook endpoints list and an endpoint', async () => {
    await refused(`${base}/events?typ=customer.deleted`, 'typ');
    await refused(`${base}/events?limit=3&limt=1`, 'limt');
    await refused(`${base}/events?type[0]=customer.deleted`, 'type[0]');
    await refused(`${base}/events/evt_nope?expnd[]=data`, 'expnd[]');
    await refused(`${base}/webhook_endpoints?limt=1`, 'limt');
    await refused(`${base}/webhook_endpoints/we_nope?status=disabled`, 'status');
  });

  it("a customer's retrieve", async () => {
    const created = await gw.request(
      `${dialect.routes.prefix}${dialect.routes.collection}`,
      jsonInit('POST', { name: 'Jenny' }, headers()),
    );
    const { id } = (await created.json()) as { id: string };
    await refused(`${dialect.routes.prefix}${dialect.routes.collection}/${id}?emial=jenny@example.com`, 'emial');
    const read = await gw.request(`${dialect.routes.prefix}${dialect.routes.collection}/${id}`, { headers: headers() });
    expect(read.status).toBe(200);
  });

  it('the parameters Stripe takes are still taken', async () => {
    const listed = [
      `${base}/events?limit=3&types[]=customer.created&types[]=customer.updated&created[gte]=0&created[lt]=99999999999&delivery_success=false&expand[]=data`,
      `${base}/events?type=customer.*&created=0`,
      `${base}/webhook_endpoints?limit=10&expand[0]=data`,
    ];
    for (const path of listed) {
      const res = await gw.request(path, { headers: headers() });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    }
  });

  it('a bare types is not read as a list of one', async () => {
    const res = await gw.request(`${base}/events?types=customer.deleted`, { headers: headers() });
    expect(res.status).toBe(400);
    expect(((await res.json()) as StripeError).error).toMatchObject({ code: 'parameter_invalid_type', param: 'types' });
  });
});
