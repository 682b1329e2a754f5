import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestGateway, testGateway } from '../test/support/gateway.ts';
import { versionOf } from './webhooks.ts';

// The webhook row times each event from its commit (a webhook_deliveries row: customer, version) to
// its arrival (an event id). When event ids gained their time (migration 0045) the row matched
// nothing and printed `NaN ms, 2000 missing` from then on; this holds the match against
// the ids the gateway really sends.

let g: TestGateway;
beforeAll(async () => {
  g = await testGateway();
});
afterAll(async () => {
  await g?.store.executor.close();
});

it("matches the gateway's event ids to the customer and version they were committed as", async () => {
  const headers = { authorization: `Bearer ${g.tenant.credentials.wooshpay?.secret_key}` };
  const made = await g.request('/v1/customers', { method: 'POST', headers, body: new URLSearchParams({ name: 'Ada' }) });
  const { id } = (await made.json()) as { id: string };
  await g.request(`/v1/customers/${id}`, { method: 'POST', headers, body: new URLSearchParams({ name: 'Grace' }) });
  const uuid = String((await g.canonical(id)).ids.uuid).replaceAll('-', '');
  const events = (await (await g.request('/v1/events', { headers })).json()) as { data: { id: string }[] };
  expect(events.data.map((e) => versionOf(e.id)).sort()).toEqual([`evt_${uuid}v1`, `evt_${uuid}v2`]);
});
