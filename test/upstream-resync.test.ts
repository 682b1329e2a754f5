import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { reconcile } from '../src/outbox/reconcile.ts';
import { bookDeps } from './support/book-deps.ts';
import { drainTenant } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { cli, failingCli } from './support/processes.ts';
import { mirrorTenant } from './support/mirror-rig.ts';
import { providerAndGateway } from './support/upstream.ts';

// The cut-over's dead-end (docs/migrating.md): a customer edited at the mirror provider itself is
// reported by reconcile and blocks promote, but a mirror carries local changes only, so nothing
// sent the local value back. `custgate upstream resync` / POST …/resync queues the whole local
// state. A second custgate process plays the provider.

const rig = providerAndGateway();

const providerKey = () => ({ authorization: `Bearer ${rig.provider.credentials.wooshpay.secret_key}` });

/** A change made at the provider itself, through its Wooshpay API: not through the gateway. */
async function editThere(remote: string, body: Record<string, unknown>) {
  const res = await fetch(`${rig.provider.baseUrl('wooshpay')}/v1/customers/${remote}`, jsonInit('POST', body, providerKey()));
  expect(res.status).toBe(200);
}

/** The customer as the provider holds it (its Wooshpay view). */
async function heldThere(remote: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${rig.provider.baseUrl('wooshpay')}/v1/customers/${remote}`, { headers: providerKey() });
  return (await res.json()) as Record<string, unknown>;
}

type Delivery = { version: number; state: string; resync: boolean; last_error: string | null; action: string };

async function mirrorOf(name: string, dialect: 'wooshpay' | 'connhex') {
  const { gw } = rig;
  const { tenant, upstream } = await mirrorTenant(rig, name, dialect);
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  const create = async (body: Record<string, unknown>) => {
    const res = await gw.request('/wooshpay/v1/customers', jsonInit('POST', body, auth));
    expect(res.status).toBe(200);
    const local = (await gw.store.findCustomer(tenant.tenant.id, 'public_id', ((await res.json()) as { id: string }).id))!;
    await drainTenant(gw.dispatcher, gw.store.outbox, tenant.tenant.id);
    const link = await gw.store.upstreams.findLink(tenant.tenant.id, upstream.id, local.id);
    expect(link).toBeDefined();
    return { uuid: local.id, remote: link!.remote_id };
  };
  const row = async () => (await gw.store.upstreams.find(tenant.tenant.id, upstream.id))!;
  const reconciled = async () => reconcile(bookDeps(gw.store, gw.env), await row());
  const deliveries = async (uuid: string) => {
    const res = await gw.request(`/gateway/v1/customers/${uuid}/deliveries`, { headers: auth });
    return ((await res.json()) as { data: Delivery[] }).data;
  };
  const post = (path: string, body?: unknown) =>
    gw.request(
      `/gateway/v1/upstreams/${upstream.id}/${path}`,
      body === undefined ? { method: 'POST', headers: auth } : jsonInit('POST', body, auth),
    );
  return { tenant, upstream, auth, create, reconciled, deliveries, post };
}

it('a field changed at the mirror provider: reconcile differs, resync, drain, reconcile clean, promote without force', {
  timeout: 90_000,
}, async () => {
  const { gw } = rig;
  const m = await mirrorOf('resync-walk', 'wooshpay');
  const drifted = await m.create({ name: 'Jenny Rosen', email: 'jenny@example.com', metadata: { plan: 'gold' } });
  const kept = await m.create({ name: 'Kept Same' });
  expect((await m.reconciled()).clean).toBe(true);

  // Someone edits the customer at the provider directly.
  await editThere(drifted.remote, { name: 'Edited There', email: 'there@example.com', metadata: { plan: 'silver', added: 'there' } });
  const differing = await m.reconciled();
  expect(differing.clean).toBe(false);
  expect(differing.differences.map((d) => d.customer)).toEqual([drifted.uuid]);
  expect((await m.post('promote')).status).toBe(409);

  // No customers named: those the last reconciliation found different.
  const res = await m.post('resync');
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({
    upstream: m.upstream.id,
    from: 'reconciliation',
    queued: [{ customer: drifted.uuid, version: 1 }],
    skipped: [],
    truncated: false,
  });
  expect((await m.deliveries(drifted.uuid)).find((d) => d.version === 1)).toMatchObject({ state: 'pending', resync: true });
  await drainTenant(gw.dispatcher, gw.store.outbox, m.tenant.tenant.id);
  expect((await m.deliveries(drifted.uuid)).find((d) => d.version === 1)).toMatchObject({ state: 'delivered', last_error: null });
  expect(await m.deliveries(kept.uuid)).toHaveLength(1);

  const there = await heldThere(drifted.remote);
  expect(there).toMatchObject({ name: 'Jenny Rosen', email: 'jenny@example.com' });
  // The key added there goes: the whole map is the local one.
  expect(there.metadata).toEqual({ plan: 'gold' });
  expect((await m.reconciled()).clean).toBe(true);
  const promoted = await m.post('promote');
  expect(promoted.status).toBe(200);
  expect(await promoted.json()).toMatchObject({ mode: 'proxy', forced: false });

  // A proxy is refused: its provider is the system of record; ?refresh=true reads it instead.
  const proxy = await m.post('resync', { customers: [drifted.uuid] });
  expect(proxy.status).toBe(409);
  expect(((await proxy.json()) as { error: { message: string } }).error.message).toMatch(/is the proxy.*refresh=true/);
});

it('a second resync of the same version is sent again under its own Idempotency-Key; named customers, through the CLI', {
  timeout: 90_000,
}, async () => {
  const { gw } = rig;
  const m = await mirrorOf('resync-twice', 'wooshpay');
  const one = await m.create({ name: 'Twice' });
  for (const round of [1, 2]) {
    await editThere(one.remote, { name: `Edited ${round}` });
    const done = await promisify(execFile)(
      process.execPath,
      [cli, 'upstream', 'resync', m.tenant.tenant.id, m.upstream.id, '--customer', one.uuid, '--json'],
      { env: { ...process.env, ...gw.env } },
    );
    expect(JSON.parse(done.stdout)).toMatchObject({ from: 'named', queued: [{ customer: one.uuid, version: 1 }] });
    await drainTenant(gw.dispatcher, gw.store.outbox, m.tenant.tenant.id);
    expect((await heldThere(one.remote)).name).toBe('Twice');
  }

  // Named customers are checked before any is queued: an unknown one or one with no link there is refused whole.
  expect((await m.post('resync', { customers: [one.uuid, '00000000-0000-4000-8000-000000000000'] })).status).toBe(404);
  const unlinked = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Not there yet' }, m.auth));
  const unlinkedId = ((await unlinked.json()) as { id: string }).id;
  await gw.store.outbox.drop(await gw.store.outbox.list({ tenantId: m.tenant.tenant.id, states: ['pending'] }));
  const refused = await m.post('resync', { customers: [one.uuid, unlinkedId] });
  expect(refused.status).toBe(409);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('backfill');
  expect((await m.deliveries(one.uuid)).every((d) => d.state === 'delivered')).toBe(true);
  expect((await m.post('resync', { customers: 'x' })).status).toBe(400);

  // Another tenant's upstream and another tenant's customer are not found.
  const other = await mirrorOf('resync-other', 'wooshpay');
  const theirs = await other.create({ name: 'Theirs' });
  expect((await gw.request(`/gateway/v1/upstreams/${m.upstream.id}/resync`, { method: 'POST', headers: other.auth })).status).toBe(404);
  expect((await m.post('resync', { customers: [theirs.uuid] })).status).toBe(404);
});

it('a field the mirror cannot carry is left out of the resync and named on the delivery; the rest is sent', {
  timeout: 90_000,
}, async () => {
  const m = await mirrorOf('resync-uncarried', 'wooshpay');
  const one = await m.create({ name: 'Shipless' });
  const { gw } = rig;
  // Wooshpay's API has no form for clearing shipping: set there, the local "none" cannot go back.
  const shipping = { name: 'Dock', address: { line1: '1 Quay', city: 'Oslo', country: 'NO' } };
  await editThere(one.remote, { name: 'Edited There', shipping });
  const differing = await m.reconciled();
  expect(differing.differences[0]?.fields.map((f) => f.field).sort()).toEqual(['name', 'shipping']);
  expect((await m.post('resync')).status).toBe(200);
  await drainTenant(gw.dispatcher, gw.store.outbox, m.tenant.tenant.id);
  const sent = (await m.deliveries(one.uuid)).find((d) => d.version === 1)!;
  expect(sent).toMatchObject({ state: 'delivered', resync: true });
  expect(sent.last_error).toMatch(/^not carried: shipping \(/);
  expect(await heldThere(one.remote)).toMatchObject({ name: 'Shipless', shipping: { name: 'Dock' } });
  const after = await m.reconciled();
  expect(after.differences.map((d) => d.fields.map((f) => f.field))).toEqual([['shipping']]);
});

it('a write still in line when the resync comes: its delivery becomes the resync, and sends the whole state once', {
  timeout: 90_000,
}, async () => {
  const m = await mirrorOf('resync-in-line', 'wooshpay');
  const one = await m.create({ name: 'In Line', email: 'line@example.com' });
  await editThere(one.remote, { email: 'there@example.com' });
  const { gw } = rig;
  const local = (await gw.store.findCustomer(m.tenant.tenant.id, 'uuid', one.uuid))!;
  const write = await gw.request(`/wooshpay/v1/customers/${local.public_id}`, jsonInit('POST', { name: 'Renamed Here' }, m.auth));
  expect(write.status).toBe(200);
  const res = await m.post('resync', { customers: [local.public_id] });
  expect(await res.json()).toMatchObject({ queued: [{ customer: one.uuid, version: 2 }] });
  expect((await m.deliveries(one.uuid)).map((d) => [d.version, d.state, d.resync])).toEqual([
    [1, 'delivered', false],
    [2, 'pending', true],
  ]);
  await drainTenant(gw.dispatcher, gw.store.outbox, m.tenant.tenant.id);
  // Without the resync, version 2 carried the name alone and the email edited there stayed.
  expect(await heldThere(one.remote)).toMatchObject({ name: 'Renamed Here', email: 'line@example.com' });
});

/** `custgate outbox <args> --json`, as printed. */
const outboxCli = async (...args: string[]) => {
  const run = await promisify(execFile)(process.execPath, [cli, 'outbox', ...args, '--json'], { env: { ...process.env, ...rig.gw.env } });
  return JSON.parse(run.stdout) as Record<string, unknown>;
};

// Before, a resync took the delivered row of its version, and `outbox drop` of it (dead, or
// pending and not sent) deleted that row: the customer's delivered history, and the upstream's
// last delivered version, went with it.
it('outbox drop of a resync, pending or dead, puts the delivered row back as it was; retry sends it again as a resync', {
  timeout: 90_000,
}, async () => {
  const m = await mirrorOf('resync-dropped', 'wooshpay');
  const kept = await m.create({ name: 'Kept History' });
  const gone = await m.create({ name: 'Gone There' });
  const drain = () => drainTenant(rig.gw.dispatcher, rig.gw.store.outbox, m.tenant.tenant.id);
  const [delivered] = await m.deliveries(kept.uuid);
  expect(delivered).toMatchObject({ version: 1, state: 'delivered', action: 'create', resync: false });
  const id = `${m.upstream.id}/${kept.uuid}/v1`;

  expect(await (await m.post('resync', { customers: [kept.uuid] })).json()).toMatchObject({
    queued: [{ customer: kept.uuid, version: 1 }],
  });
  expect(await m.deliveries(kept.uuid)).toMatchObject([{ version: 1, state: 'pending', action: 'update', resync: true }]);
  expect(await outboxCli('drop', id)).toMatchObject({ dropped: 1 });
  expect(await m.deliveries(kept.uuid)).toEqual([delivered]);
  expect(await rig.gw.store.outbox.lastDelivered(m.upstream.id, kept.uuid)).toBe(1);
  // A delivered row is history: a second drop, or a retry, is refused and leaves it as it is.
  for (const command of ['drop', 'retry']) {
    expect((await failingCli(['outbox', command, id], rig.gw.env))?.stderr).toContain('delivered already (kept as history)');
  }
  expect(await m.deliveries(kept.uuid)).toEqual([delivered]);

  // Deleted at the provider itself: the resync's update is refused there, and it is dead.
  const deleted = await fetch(`${rig.provider.baseUrl('wooshpay')}/v1/customers/${gone.remote}`, {
    method: 'DELETE',
    headers: providerKey(),
  });
  expect(deleted.status).toBe(200);
  const [goneDelivered] = await m.deliveries(gone.uuid);
  await m.post('resync', { customers: [gone.uuid] });
  await drain();
  expect(await m.deliveries(gone.uuid)).toMatchObject([{ version: 1, state: 'dead', resync: true }]);
  expect(await outboxCli('drop', `${m.upstream.id}/${gone.uuid}/v1`)).toMatchObject({ dropped: 1 });
  expect(await m.deliveries(gone.uuid)).toEqual([goneDelivered]);

  // Retried instead of dropped, a resync is sent as a resync, and then stays delivered.
  await editThere(kept.remote, { name: 'Edited There' });
  await m.post('resync', { customers: [kept.uuid] });
  expect(await outboxCli('retry', id)).toMatchObject({ retried: 1 });
  expect(await m.deliveries(kept.uuid)).toMatchObject([{ version: 1, state: 'pending', resync: true }]);
  await drain();
  expect(await m.deliveries(kept.uuid)).toMatchObject([{ version: 1, state: 'delivered', resync: true }]);
  expect((await heldThere(kept.remote)).name).toBe('Kept History');
});
