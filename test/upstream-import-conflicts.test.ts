import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { sql } from 'kysely';
import { queryBuilder } from '../src/store/compiler.ts';
import type { Store } from '../src/store/index.ts';
import { processHolder } from '../src/upstream/process-holder.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { spawnCli } from './support/processes.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// An import meets provider customers whose external_id (Zenskar) or alias (Meteroid) a local
// customer, not linked, already holds. It stopped there for good: the page failed, and every
// resume failed on the same customer, so the book could not be moved. Now it goes on past them,
// leaves them out (nothing merged, nothing overwritten), names each one (provider id, local id,
// key) in its output, its state and its resume state, and ends with exit status 3 saying what to
// do; `--on-conflict link` links the local customer to the provider's, which then wins on every
// field it carries, so a reconciliation finds the two the same. A second custgate plays the provider.

const BOOK = 130; // two pages of the client half's list (100 a page)

let provider: Provider;
let store: Store;
let env: Record<string, string>;
let app: GatewayApp;

const zenskarAuth = (c: Record<string, string | undefined>) => ({ 'x-api-key': c.api_key ?? '', organisation: c.organisation ?? '' });

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  // Its imports are held as `custgate serve` holds them: a killed CLI's import is taken over at once.
  app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined }, importHolder: processHolder() });
  const auth = zenskarAuth(provider.credentials.zenskar as Record<string, string>);
  for (let i = 0; i < BOOK; i++) {
    const body = { customer_name: `Provider ${i}`, email: `p${i}@example.com`, external_id: `crm-${i}` };
    const res = await fetch(`${provider.baseUrl('zenskar')}/customers`, jsonInit('POST', body, auth));
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  }
}, 120_000);

afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

const cliRun = (args: readonly string[]) => spawnCli(['upstream', ...args], env);

/** A local tenant holding `locals` (made through its Zenskar API before the upstream exists), then its Zenskar upstream. */
async function tenantHolding(name: string, locals: readonly Record<string, unknown>[]) {
  const config = loadConfig(env);
  const created = await createTenant(store, config, name);
  const auth = zenskarAuth(created.credentials.zenskar as unknown as Record<string, string>);
  const ids: string[] = [];
  for (const body of locals) {
    const res = await app.request('/zenskar/customers', jsonInit('POST', body, auth));
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect: 'zenskar',
    baseUrl: provider.baseUrl('zenskar'),
    mode: 'proxy',
    credentials: provider.credentials.zenskar,
  });
  const stripeAuth = { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` };
  return { tenantId: created.tenant.id, upstreamId: upstream.id, ids, auth, stripeAuth };
}

interface Conflict {
  upstream_id: string;
  local_id: string;
  local_public_id: string;
  key: string;
  value: string;
  reason?: string;
}

/** The provider's id of the customer with this external_id. */
async function remoteIdOf(externalId: string): Promise<string> {
  const auth = zenskarAuth(provider.credentials.zenskar as Record<string, string>);
  const res = await fetch(`${provider.baseUrl('zenskar')}/customers/${externalId}`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

describe('a provider customer whose external_id a local customer holds', () => {
  it('is left out and named (exit 3), the rest imported; --on-conflict link then links it and reconcile finds them the same', async () => {
    // crm-5 and crm-120 land on different pages whichever order the list has.
    const t = await tenantHolding('conflict-cli', [
      { customer_name: 'Local Five', email: 'five@local.example', phone_number: '+15555550100', external_id: 'crm-5' },
      { customer_name: 'Local Hundred Twenty', external_id: 'crm-120' },
    ]);
    const [five, hundredTwenty] = [await remoteIdOf('crm-5'), await remoteIdOf('crm-120')];
    const first = await cliRun(['import', t.tenantId, t.upstreamId, '--json']).exit;
    expect(first.code, first.stderr).toBe(3);
    const result = JSON.parse(first.stdout) as { state: string; seen: number; imported: number; conflicts: Conflict[] };
    expect(result).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK - 2 });
    expect(result.conflicts.toSorted((a, b) => a.value.localeCompare(b.value))).toEqual([
      {
        upstream_id: hundredTwenty,
        local_id: t.ids[1],
        local_public_id: expect.stringMatching(/^cus_/),
        key: 'external_id',
        value: 'crm-120',
      },
      { upstream_id: five, local_id: t.ids[0], local_public_id: expect.stringMatching(/^cus_/), key: 'external_id', value: 'crm-5' },
    ]);
    expect(first.stderr).toContain('2 customers of upstream');
    expect(first.stderr).toContain(`${five}: external_id "crm-5" is local customer`);
    expect(first.stderr).toContain('--on-conflict link');
    // Nothing merged or overwritten: the local customers are as they were, unlinked; the rest are in.
    const local = async (id: string) =>
      (await (await app.request(`/zenskar/customers/${id}`, { headers: t.auth })).json()) as {
        customer_name: string;
        email: string | null;
      };
    expect(await local(t.ids[0]!)).toMatchObject({ customer_name: 'Local Five', email: 'five@local.example' });
    expect(await store.countCustomers(t.tenantId)).toBe(BOOK);
    expect(await store.upstreams.linkCount(t.tenantId, t.upstreamId)).toBe(BOOK - 2);
    // The import's state over HTTP names them too.
    const state = await app.request(`/gateway/v1/upstreams/${t.upstreamId}/import`, { headers: t.auth });
    expect(((await state.json()) as { conflicts: Conflict[] }).conflicts.map((c) => c.upstream_id).sort()).toEqual(
      [five, hundredTwenty].sort(),
    );

    // The team says they are the same customers: linked, the provider's values taken.
    const linked = await cliRun(['import', t.tenantId, t.upstreamId, '--on-conflict', 'link', '--json']).exit;
    expect(linked.code, linked.stderr).toBe(0);
    // Linked, not created: `imported` counts only customers created here.
    expect(JSON.parse(linked.stdout)).toMatchObject({ state: 'done', seen: BOOK, imported: 0, linked: 2, conflicts: [] });
    const human = await cliRun(['import', t.tenantId, t.upstreamId]).exit;
    expect(human.stdout).toContain(`imported 0 customers from upstream ${t.upstreamId} (${BOOK} listed, ${BOOK} linked already, 0 local`);
    expect(await store.countCustomers(t.tenantId)).toBe(BOOK);
    expect(await store.upstreams.linkCount(t.tenantId, t.upstreamId)).toBe(BOOK);
    expect((await store.upstreams.findLink(t.tenantId, t.upstreamId, t.ids[0]!))?.remote_id).toBe(five);
    // The provider holds no phone for it: the local one is cleared, as the provider's state is taken.
    expect(await local(t.ids[0]!)).toMatchObject({ customer_name: 'Provider 5', email: 'p5@example.com', phone_number: null });
    // Hundred Twenty had no email; the provider's is taken.
    expect(await local(t.ids[1]!)).toMatchObject({ customer_name: 'Provider 120', email: 'p120@example.com' });
    const reconciled = await cliRun(['reconcile', t.tenantId, t.upstreamId, '--json']).exit;
    expect(reconciled.code, reconciled.stdout).toBe(0);
    expect(JSON.parse(reconciled.stdout)).toMatchObject({ clean: true, counts: { local: BOOK, upstream: BOOK, linked: BOOK } });
  }, 180_000);

  it('does not stop a resumed import: killed after page 1, the run resumed over HTTP answers the conflict carried, goes past one on page 2 and names both', async () => {
    const t = await tenantHolding('conflict-resume', [
      { customer_name: 'Mine 5', external_id: 'crm-5' },
      { customer_name: 'Mine 120', external_id: 'crm-120' },
    ]);
    const args = ['import', t.tenantId, t.upstreamId, '--json', '--rate', '80'];
    const run = cliRun(args);
    for (;;) {
      const at = await store.imports.find(t.tenantId, t.upstreamId);
      if (at && Number(at.pages) >= 1) break;
      expect(run.child.exitCode, 'the import finished before it could be killed').toBeNull();
      await new Promise((r) => setTimeout(r, 10));
    }
    run.child.kill('SIGKILL');
    await run.exit;
    // The resume state names page 1's conflict already.
    const state = await app.request(`/gateway/v1/upstreams/${t.upstreamId}/import`, { headers: t.auth });
    expect(((await state.json()) as { conflicts: Conflict[] }).conflicts).toHaveLength(1);

    // Resumed over HTTP: the start's answer carries page 1's conflict (Zenskar lists newest first), as the job does.
    const path = `/gateway/v1/upstreams/${t.upstreamId}/import`;
    const resumed = await app.request(path, jsonInit('POST', {}, t.auth));
    expect(resumed.status, await resumed.clone().text()).toBe(202);
    const answer = (await resumed.json()) as { conflicts: Conflict[]; linked: number };
    expect(answer.conflicts.map((c) => c.value)).toEqual(['crm-120']);
    expect(answer.linked).toBe(0);
    let result: { state: string; seen: number; conflicts: Conflict[] };
    for (;;) {
      result = (await (await app.request(path, { headers: t.auth })).json()) as typeof result;
      if (result.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(result).toMatchObject({ state: 'done', seen: BOOK });
    expect(result.conflicts.map((c) => c.value).sort()).toEqual(['crm-120', 'crm-5']);
    expect(await store.countCustomers(t.tenantId)).toBe(BOOK);
    expect(await store.upstreams.linkCount(t.tenantId, t.upstreamId)).toBe(BOOK - 2);
  }, 180_000);

  it('over HTTP: on_conflict link in the start body; a local customer that cannot be linked (deleted) stays named with why', async () => {
    const t = await tenantHolding('conflict-http', [
      { customer_name: 'Same One', external_id: 'crm-7' },
      { customer_name: 'Gone One', external_id: 'crm-8' },
    ]);
    // Zenskar has no delete: through the tenant's Wooshpay API, by the customer's public id.
    const shown = await app.request(`/gateway/v1/customers/${t.ids[1]}`, { headers: t.stripeAuth });
    const publicId = ((await shown.json()) as { ids: { public_id: string } }).ids.public_id;
    const gone = await app.request(`/wooshpay/v1/customers/${publicId}`, { method: 'DELETE', headers: t.stripeAuth });
    expect(gone.status, await gone.clone().text()).toBeLessThan(300);
    const path = `/gateway/v1/upstreams/${t.upstreamId}/import`;
    const bad = await app.request(path, jsonInit('POST', { on_conflict: 'merge' }, t.auth));
    expect(bad.status).toBe(400);
    const started = await app.request(path, jsonInit('POST', { on_conflict: 'link' }, t.auth));
    expect(started.status, await started.clone().text()).toBe(202);
    let view: { state: string; imported: number; linked: number; on_conflict: string; conflicts: Conflict[] };
    for (;;) {
      view = (await (await app.request(path, { headers: t.auth })).json()) as typeof view;
      if (view.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view).toMatchObject({ state: 'done', on_conflict: 'link', imported: BOOK - 2, linked: 1 });
    expect(view.conflicts).toEqual([
      {
        upstream_id: await remoteIdOf('crm-8'),
        local_id: t.ids[1],
        local_public_id: expect.stringMatching(/^cus_/),
        key: 'external_id',
        value: 'crm-8',
        // A deleted customer keeps its keys (as Meteroid keeps an archived customer's alias): the
        // reason says what can be done instead.
        reason:
          "the local customer is deleted, and a deleted customer keeps its external_id for good (as Meteroid keeps an archived customer's alias), so this customer cannot be linked or imported with it: change or clear its external_id at the provider and run the import again, or leave it out",
      },
    ]);
    expect((await store.upstreams.findLink(t.tenantId, t.upstreamId, t.ids[0]!))?.remote_id).toBe(await remoteIdOf('crm-7'));
  }, 180_000);
});

// `--on-conflict link` updates the local customer to the provider's values and links it. The two
// were separate writes: the link failing (a crash between them, here a link the database refuses)
// left the customer updated and unlinked. Now the link is written in the update's atomic unit. The
// refusal is a SQLite trigger on this test's database; PostgreSQL and D1 run the same unit.
describe('--on-conflict link', () => {
  it.skipIf(testBackend() !== 'sqlite')(
    'leaves the local customer as it was when its link cannot be written, and links it on the re-run',
    async () => {
      const t = await tenantHolding('conflict-atomic', [{ customer_name: 'Mine 9', external_id: 'crm-9' }]);
      const db = queryBuilder(store.executor.backend);
      const remote = await remoteIdOf('crm-9');
      await store.executor.run(
        sql
          .raw(
            `create trigger refuse_link_9 before insert on upstream_links when new.remote_id = '${remote}' begin select raise(abort, 'refused'); end`,
          )
          .compile(db),
      );
      const args = ['import', t.tenantId, t.upstreamId, '--on-conflict', 'link', '--json'];
      try {
        const refused = await cliRun(args).exit;
        expect(refused.code, refused.stdout).toBe(1);
      } finally {
        await store.executor.run(sql.raw('drop trigger refuse_link_9').compile(db));
      }
      const shown = async () =>
        (await (await app.request(`/zenskar/customers/${t.ids[0]}`, { headers: t.auth })).json()) as Record<string, unknown>;
      expect(await shown()).toMatchObject({ customer_name: 'Mine 9', email: null });
      expect(await store.upstreams.findLink(t.tenantId, t.upstreamId, t.ids[0]!)).toBeUndefined();

      const linked = await cliRun(args).exit;
      expect(linked.code, linked.stderr).toBe(0);
      expect(await shown()).toMatchObject({ customer_name: 'Provider 9', email: 'p9@example.com' });
      expect((await store.upstreams.findLink(t.tenantId, t.upstreamId, t.ids[0]!))?.remote_id).toBe(remote);
    },
    180_000,
  );
});

describe('a provider customer whose alias a local customer holds (Meteroid)', () => {
  it('is named with the key alias and left out, and the local customer keeps its values', async () => {
    const meteroid = { authorization: `Bearer ${provider.credentials.meteroid.api_key}` };
    const made = await fetch(
      `${provider.baseUrl('meteroid')}/api/v1/customers`,
      jsonInit('POST', { name: 'Provider Acme', currency: 'EUR', alias: 'acme-shared' }, meteroid),
    );
    expect(made.status, await made.clone().text()).toBeLessThan(300);
    const remote = ((await made.json()) as { id: string }).id;
    const config = loadConfig(env);
    const created = await createTenant(store, config, 'conflict-alias');
    const local = await app.request(
      '/api/v1/customers',
      jsonInit(
        'POST',
        { name: 'Local Acme', currency: 'EUR', alias: 'acme-shared' },
        { authorization: `Bearer ${created.credentials.meteroid!.api_key}` },
      ),
    );
    expect(local.status, await local.clone().text()).toBeLessThan(300);
    const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
      dialect: 'meteroid',
      baseUrl: provider.baseUrl('meteroid'),
      mode: 'proxy',
      credentials: provider.credentials.meteroid,
    });
    const run = await cliRun(['import', created.tenant.id, upstream.id, '--json']).exit;
    expect(run.code, run.stderr).toBe(3);
    const result = JSON.parse(run.stdout) as { conflicts: Conflict[]; seen: number; imported: number };
    expect(result.conflicts).toEqual([
      expect.objectContaining({
        upstream_id: remote,
        key: 'alias',
        value: 'acme-shared',
        local_public_id: ((await local.json()) as { id: string }).id,
      }),
    ]);
    expect(result.imported).toBe(result.seen - 1);
    const kept = await app.request('/api/v1/customers/acme-shared', {
      headers: { authorization: `Bearer ${created.credentials.meteroid!.api_key}` },
    });
    expect(((await kept.json()) as { name: string }).name).toBe('Local Acme');

    // Deleted, the local customer keeps its alias: the conflict stays, and the advice is what
    // can be done about that one, not the link that cannot be made.
    const gone = await app.request('/api/v1/customers/acme-shared', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${created.credentials.meteroid!.api_key}` },
    });
    expect(gone.status, await gone.clone().text()).toBeLessThan(300);
    const again = await cliRun(['import', created.tenant.id, upstream.id]).exit;
    expect(again.code, again.stderr).toBe(3);
    expect(again.stderr).toContain(`1 customer of upstream ${upstream.id} was not imported`);
    expect(again.stderr).toContain('the local customer is deleted');
    expect(again.stderr).toContain('change or clear its alias at the provider');
    expect(again.stderr).not.toContain('--on-conflict link');
  }, 180_000);
});
