import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { processHolder } from '../src/upstream/process-holder.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { addUpstream, createApp, createTenant, type GatewayApp, reissueCredentials } from './support/registered.ts';
import { cli } from './support/processes.ts';
import { providerRig } from './support/upstream.ts';

// A Bigcapital client names its customers by number. A service moving off Bigcapital points that
// client at the gateway, whose tenant proxies to its Bigcapital account: the provider's number 3
// must name the provider's customer 3 there too. Each local copy took a number of its own (the
// tenant's next), so the provider's 3, fetched on first reference, was answered as the local 1,
// and a later write of "1" renamed the provider's customer 3. A second custgate plays Bigcapital,
// with a gap in its numbers (a customer deleted there) as any book in use has.

const rig = providerRig();
let app: GatewayApp;
const auth = fixturesOf(dialects.bigcapital).auth;
type Shown = { id: number; displayName: string };

const atProvider = (path: string, init: RequestInit = {}) =>
  fetch(`${rig.provider.baseUrl('bigcapital')}/api/customers${path}`, {
    ...init,
    headers: { ...auth(rig.provider.credentials.bigcapital), 'content-type': 'application/json' },
  });

/** With `live`, the tenant has a live key too, which makes the local customers (live ones). */
async function tenantProxyingToBigcapital(name: string, localFirst = 0, options: { readonly live?: boolean } = {}) {
  const config = loadConfig(rig.env);
  const created = await createTenant(rig.store, config, name);
  const headers = auth(created.credentials.bigcapital!);
  const live = options.live
    ? auth(await reissueCredentials(rig.store, config, created.tenant, dialects.bigcapital, { livemode: true }))
    : undefined;
  // Customers of the tenant from before the upstream: they hold the numbers 1..localFirst.
  for (let i = 1; i <= localFirst; i++) {
    const res = await app.request(
      '/bigcapital/api/customers',
      jsonInit('POST', { customerType: 'business', displayName: `Local ${i}` }, live ?? headers),
    );
    expect(res.status, await res.clone().text()).toBe(dialects.bigcapital.wire.createdStatus);
  }
  const upstream = await addUpstream(rig.store, keyringFor(config, rig.store.upstreams), created.tenant.id, {
    dialect: 'bigcapital',
    baseUrl: rig.provider.baseUrl('bigcapital'),
    mode: 'proxy',
    credentials: rig.provider.credentials.bigcapital,
  });
  const read = async (n: number) => {
    const res = await app.request(`/bigcapital/api/customers/${n}`, { headers });
    return { status: res.status, body: (await res.json()) as Shown };
  };
  return { headers, live, upstream, read, tenant: created.tenant };
}

beforeAll(async () => {
  app = createApp({ store: rig.store, config: loadConfig(rig.env), logger: { error: () => undefined }, importHolder: processHolder() });
  // The provider's book: customers 1, 3 and 4 (2 was deleted there; its number is never given again).
  for (let i = 1; i <= 4; i++) {
    const res = await atProvider('', { method: 'POST', body: JSON.stringify({ customerType: 'business', displayName: `Provider ${i}` }) });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    expect(((await res.json()) as Shown).id).toBe(i);
  }
  expect((await atProvider('/2', { method: 'DELETE' })).status).toBe(200);
});

describe('a Bigcapital proxy upstream: the provider numbers are the numbers clients use', () => {
  it('a customer fetched on first reference keeps its number, and a write of that number reaches that customer', async () => {
    const { headers, read } = await tenantProxyingToBigcapital('bigcapital-first-reference');
    const three = await read(3);
    expect(three.status).toBe(200);
    expect(three.body).toMatchObject({ id: 3, displayName: 'Provider 3' });
    const one = await read(1);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 1, displayName: 'Provider 1' });

    const put = await app.request(
      '/bigcapital/api/customers/1',
      jsonInit('PUT', { customerType: 'business', displayName: 'Renamed 1' }, headers),
    );
    expect(put.status, await put.clone().text()).toBe(200);
    expect(((await (await atProvider('/1')).json()) as Shown).displayName).toBe('Renamed 1');
    expect(((await (await atProvider('/3')).json()) as Shown).displayName).toBe('Provider 3');
    // Put back for the tests after this one.
    await atProvider('/1', { method: 'PUT', body: JSON.stringify({ customerType: 'business', displayName: 'Provider 1' }) });
  });

  it('an imported book keeps the provider numbers, gaps and all', async () => {
    const { headers, upstream, read } = await tenantProxyingToBigcapital('bigcapital-import');
    const path = `/gateway/v1/upstreams/${upstream.id}/import`;
    expect((await app.request(path, jsonInit('POST', {}, headers))).status).toBe(202);
    let state = '';
    while (state !== 'done') {
      const job = (await (await app.request(path, { headers })).json()) as { state: string; imported: number; error?: string };
      expect(job.state, job.error).not.toBe('failed');
      state = job.state;
      if (state !== 'done') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const n of [1, 3, 4]) expect((await read(n)).body).toMatchObject({ id: n, displayName: `Provider ${n}` });
    // 2 is no customer here either (not one of the provider's, fetched again on first reference: it has none).
    expect((await read(2)).status).toBe(404);
  });

  // Before, such a customer took another number without a word: the job and the CLI said only how
  // many were imported, and the team's provider number named the local customer that held it.
  it('an import that gives a provider customer another number says which, over the API and in the CLI output', async () => {
    type Renumbered = { upstream_id: string; number: number; local_id: string; local_public_id: string };
    const check = async (made: Awaited<ReturnType<typeof tenantProxyingToBigcapital>>, renumbered: readonly Renumbered[]) => {
      // The local 1 ("Local 1") held the provider's 1: that one has a number of its own; the others
      // keep theirs unless the renumbered one took it first (the page's creates run at once).
      expect(renumbered.map((r) => r.upstream_id)).toContain('1');
      for (const r of renumbered) {
        expect(r.number).not.toBe(Number(r.upstream_id));
        expect((await made.read(r.number)).body).toMatchObject({ id: r.number, displayName: `Provider ${r.upstream_id}` });
        const row = await rig.store.findCustomer(made.upstream.tenant_id, 'uuid', r.local_id);
        expect({ public_id: row?.public_id, number: Number(row?.number) }).toEqual({ public_id: r.local_public_id, number: r.number });
      }
      for (const n of [3, 4].filter((n) => !renumbered.some((r) => r.upstream_id === String(n)))) {
        expect((await made.read(n)).body).toMatchObject({ id: n, displayName: `Provider ${n}` });
      }
      expect((await made.read(1)).body).toMatchObject({ id: 1, displayName: 'Local 1' });
    };
    const job = async (made: Awaited<ReturnType<typeof tenantProxyingToBigcapital>>) =>
      (await (await app.request(`/gateway/v1/upstreams/${made.upstream.id}/import`, { headers: made.headers })).json()) as {
        state: string;
        imported: number;
        renumbered: Renumbered[];
        error?: string;
      };

    const overHttp = await tenantProxyingToBigcapital('bigcapital-import-renumbered', 1);
    const path = `/gateway/v1/upstreams/${overHttp.upstream.id}/import`;
    expect((await app.request(path, jsonInit('POST', {}, overHttp.headers))).status).toBe(202);
    let done = await job(overHttp);
    while (done.state !== 'done') {
      expect(done.state, done.error).not.toBe('failed');
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await job(overHttp);
    }
    expect(done.imported).toBe(3);
    await check(overHttp, done.renumbered);

    // The CLI's import prints them (stderr, beside its summary on stdout), and still exits 0: they are imported.
    const byCli = await tenantProxyingToBigcapital('bigcapital-import-renumbered-cli', 1);
    const run = await promisify(execFile)(process.execPath, [cli, 'upstream', 'import', byCli.upstream.tenant_id, byCli.upstream.id], {
      env: { ...process.env, ...rig.env },
    });
    expect(run.stdout).toContain(`imported 3 customers from upstream ${byCli.upstream.id}`);
    const shown = (await job(byCli)).renumbered;
    await check(byCli, shown);
    expect(run.stderr).toContain(
      shown.length === 1
        ? `1 customer of upstream ${byCli.upstream.id} has another number here than at the provider: a local customer already held its number`
        : `${shown.length} customers of upstream ${byCli.upstream.id} have other numbers here than at the provider`,
    );
    for (const r of shown) expect(run.stderr).toContain(`\n  ${r.upstream_id} -> ${r.number}: ${r.local_public_id} (${r.local_id})\n`);
  }, 120_000);

  it('a number a local customer holds already is not taken: the provider customer gets one of its own, and creates go on', async () => {
    // The tenant's own customers 1..6 from before the upstream (a book moved here from elsewhere).
    const { headers, read } = await tenantProxyingToBigcapital('bigcapital-held', 6);
    const created = await app.request(
      '/bigcapital/api/customers',
      jsonInit('POST', { customerType: 'business', displayName: 'New one' }, headers),
    );
    expect(created.status, await created.clone().text()).toBe(dialects.bigcapital.wire.createdStatus);
    const shown = (await created.json()) as Shown;
    // The provider numbered it 5 (after its 4); the local 5 is "Local 5", so the copy has a number of its own.
    expect(shown.id).toBeGreaterThan(6);
    expect((await read(shown.id)).body).toMatchObject({ displayName: 'New one' });
    expect((await read(5)).body).toMatchObject({ id: 5, displayName: 'Local 5' });
  });
});

// The customers an import stored under another number are of its mode: a live key's import names
// live customers, and the provider's ids, which a test key of that (now live) tenant is never shown
// (docs/security.md, "Upstreams and key modes"). Before, GET …/import listed them to it.
describe("an import's renumbered customers", () => {
  type Job = { state: string; error?: string; renumbered: { upstream_id: string; local_id: string }[] };
  const jobOf = async (path: string, headers: Record<string, string>) => (await (await app.request(path, { headers })).json()) as Job;
  /** Starts the import with `headers` and waits for its end: its state as they see it. */
  const imported = async (made: Awaited<ReturnType<typeof tenantProxyingToBigcapital>>, headers: Record<string, string>) => {
    const path = `/gateway/v1/upstreams/${made.upstream.id}/import`;
    expect((await app.request(path, jsonInit('POST', {}, headers))).status).toBe(202);
    let done = await jobOf(path, headers);
    for (; done.state === 'running'; done = await jobOf(path, headers)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done.state, done.error).toBe('done');
    expect(done.renumbered.map((r) => r.upstream_id)).toContain('1');
    return { done, shownTo: (other: Record<string, string>) => jobOf(path, other) };
  };

  it('are named to the live key that imported them, and to no test key of the tenant', async () => {
    const made = await tenantProxyingToBigcapital('bigcapital-renumbered-modes', 1, { live: true });
    const { done, shownTo } = await imported(made, made.live!);
    const toTest = await shownTo(made.headers);
    expect(toTest).toMatchObject({ state: 'done', renumbered: [], unlinked_withheld: true });
    // Nothing in the test key's answer names a customer it cannot read.
    for (const r of done.renumbered) expect(JSON.stringify(toTest)).not.toContain(r.local_id);
  });

  it("of a test key's import, made before the tenant had live keys, are not named to its live key", async () => {
    const made = await tenantProxyingToBigcapital('bigcapital-renumbered-test-import', 1);
    const { shownTo } = await imported(made, made.headers);
    const live = auth(await reissueCredentials(rig.store, loadConfig(rig.env), made.tenant, dialects.bigcapital, { livemode: true }));
    expect(await shownTo(live)).toMatchObject({ state: 'done', renumbered: [], unlinked_withheld: false });
  });
});
