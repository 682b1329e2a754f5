import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf, registry } from '../dialects/index.ts';
import { itemPath, seedCustomer, update } from './support/dialect-harness.ts';
import { echoBody } from './support/echo.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';
import { pairsFrom, readEchoSuite } from './support/read-echo.ts';

// Read-echo is a no-op for customers written through each registered dialect, read and written
// back through every dialect: a dialect added to the registry is checked here with the rest.
describe.each(Object.keys(registry))('read-echo from %s', (origin) => {
  readEchoSuite(registry, pairsFrom(registry, origin));
});

// Found by the property with the generators drawing an empty string as a metadata value; pinned
// so every run has it.
describe('read-echo: examples the property found', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await testGateway();
  });

  it('zenskar custom_data {"k": ""} read and written back through wooshpay keeps the key (Stripe\'s metadata[k]="" deletes it)', async () => {
    const before = await seedCustomer(gw, {});
    const written = await update(gw, dialects.zenskar, before.ids, { custom_data: { k: '', other: 'v' } });
    expect(written.status, await written.clone().text()).toBe(200);

    const wooshpay = dialects.wooshpay;
    const read = await gw.request(itemPath(wooshpay, before.ids, gw.registry), {
      headers: fixturesOf(wooshpay).auth(gw.tenant.credentials.wooshpay!),
    });
    const body = echoBody(wooshpay, fixturesOf(wooshpay), (await read.json()) as Record<string, unknown>);
    const echoed = await update(gw, wooshpay, before.ids, body);
    expect(echoed.status, await echoed.clone().text()).toBe(200);
    expect((await gw.canonical(before.ids.uuid as string)).metadata).toEqual({ k: '', other: 'v' });
  });
});
