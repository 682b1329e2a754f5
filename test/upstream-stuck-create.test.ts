import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { bottomlessMeteroid } from './support/local-provider.ts';
import { runCli } from './support/processes.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { type ReplicatingGateway, replicatingGateway } from './support/upstream.ts';

// A Meteroid upstream whose create answer was lost and whose customer list is longer than the
// look-up walks (20 pages): every write of that customer is a 502 until the record of the create
// goes. The operator lists the records (`custgate upstream attempts`, GET
// /gateway/v1/upstreams/{id}/create-attempts), clears one (`--clear`), and the next write sends
// the create again. The provider (test/support/local-provider.ts) answers pages of one customer each and drops every create.

let gw: ReplicatingGateway;
const meteroid = bottomlessMeteroid();

beforeAll(async () => {
  gw = await replicatingGateway();
});

afterAll(async () => {
  await gw?.store.executor.close();
});

it('a stuck create record is listed and cleared by the operator; the next write sends the create again', { timeout: 60_000 }, async () => {
  const tenant = await createTenant(gw.store, gw.config, 'stuck');
  const other = await createTenant(gw.store, gw.config, 'stuck-other');
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` };
  const made = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Stuck' }, auth));
  expect(made.status).toBe(200);
  const id = ((await made.json()) as { id: string }).id;
  const uuid = ((await (await gw.request(`/gateway/v1/customers/${id}`, { headers: auth })).json()) as { ids: { uuid: string } }).ids.uuid;
  const upstream = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), tenant.tenant.id, {
    dialect: 'meteroid',
    baseUrl: meteroid.base,
    mode: 'proxy',
    credentials: { api_key: 'test-key' },
  });
  const write = () => gw.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Stuck 2' }, auth));
  expect((await write()).status).toBe(503);
  expect((await write()).status).toBe(502);
  // 20 pages, and the page before each of the last 19 read again (src/upstream/list-shift.ts).
  expect([meteroid.creates, meteroid.listed]).toEqual([1, 39]);

  // The gateway API and the CLI list it; another tenant sees no such upstream.
  const path = `/gateway/v1/upstreams/${upstream.id}/create-attempts`;
  const shown = await gw.request(path, { headers: auth });
  expect(shown.status).toBe(200);
  const { data } = (await shown.json()) as { data: { customer_id: string; held_until: string | null; sent: { name?: string } }[] };
  expect(data).toMatchObject([{ customer_id: uuid, held_until: null, sent: { name: 'Stuck 2' } }]);
  const otherAuth = { authorization: `Bearer ${other.credentials.wooshpay?.secret_key}` };
  expect((await gw.request(path, { headers: otherAuth })).status).toBe(404);
  expect((await gw.request(`${path}/${uuid}`, { method: 'DELETE', headers: otherAuth })).status).toBe(404);
  const listedByCli = JSON.parse(await runCli(['upstream', 'attempts', tenant.tenant.id, upstream.id, '--json'], gw.env)) as unknown[];
  expect(listedByCli).toEqual(data);

  // Cleared by the CLI; then there is nothing to clear.
  expect(await runCli(['upstream', 'attempts', tenant.tenant.id, upstream.id, '--clear', uuid], gw.env)).toContain('cleared');
  const again = await gw.request(`${path}/${uuid}`, { method: 'DELETE', headers: auth });
  expect(again.status).toBe(404);
  expect(((await again.json()) as { error: { message: string } }).error.message).toContain('No create is recorded');
  expect(((await (await gw.request(path, { headers: auth })).json()) as { data: unknown[] }).data).toEqual([]);

  // The next write sends the create again, without walking the list.
  expect((await write()).status).toBe(503);
  expect([meteroid.creates, meteroid.listed]).toEqual([2, 39]);
});
