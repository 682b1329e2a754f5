import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { type Customer, fieldDefaults, stateDefaults } from '../schemas/index.ts';
import { loadConfig } from '../src/config.ts';
import { customerToRow } from '../src/core/index.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import type { UpstreamImportsTable, UpstreamLinksTable } from '../src/store/schema-upstreams.ts';
import type { SqliteExecutor } from '../src/store/sqlite.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { addUpstream, createApp, createTenant } from './support/registered.ts';
import { testStore } from './support/store.ts';

// Migration 0048 marks the links an import makes, and `linked` counts the marked ones; links an
// import made before the upgrade had no mark, so its status read `linked: 0` after it, finished
// or still running. Migration 0049 marks them by the rule `linked` read before 0048.

it('an import that linked customers before the upgrade still counts them after it, and only them', async () => {
  const store = await testStore({}, { migrateTo: '0048_link_import_started_at' });
  const config = loadConfig(testEnv);
  const app = createApp({ store, config, logger: { error: () => undefined } });
  const created = await createTenant(store, config, 'upgrade-linked');
  const tenant = created.tenant.id;
  const zenskar = dialects.zenskar;
  const auth = fixturesOf(zenskar).auth(created.credentials.zenskar ?? {});
  // The customers are stored as the release before 0049 stored them: its code, not today's, wrote
  // the rows this migration meets (today's create also writes columns later migrations add).
  let number = 0;
  const customer = async (name: string) => {
    const now = new Date().toISOString();
    number += 1;
    const row = customerToRow(
      {
        ...fieldDefaults,
        ...stateDefaults,
        name,
        livemode: false,
        uuid: crypto.randomUUID(),
        public_id: `cus_upgrade${number}`,
        number,
        version: 1,
        created_at: now,
        updated_at: now,
      } as Customer,
      tenant,
    );
    await store.executor.run(queryBuilder(store.executor.backend).insertInto('customers').values(row).compile());
    return row.id;
  };
  const upstream = async () =>
    (
      await addUpstream(store, keyringFor(config, store.upstreams), tenant, {
        dialect: 'zenskar',
        baseUrl: 'http://127.0.0.1:9',
        mode: 'mirror',
        credentials: { api_key: 'zsk_upstream', organisation: '00000000-0000-4000-8000-000000000001' },
      })
    ).id;
  const [linkedByImport, linkedLater, linkedBeside, report] = [
    await customer('Linked by the import'),
    await customer('Linked after the import ended'),
    await customer('Linked while one runs'),
    await customer('Linked by a report-only import'),
  ];
  const [done, running, reported] = [await upstream(), await upstream(), await upstream()];
  // Every import starts after those customers were made; one customer is made after it (an
  // imported one: created with its link, counted as imported, never as linked).
  await new Promise((r) => setTimeout(r, 5));
  const started = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  const imported = await customer('Imported');
  const at = (minutes: number) => new Date(Date.parse(started) + minutes * 60_000).toISOString();

  // The checkpoint as the schema before 0059 holds it (no rate, no origin).
  type BeforeOrigin = Omit<UpstreamImportsTable, 'rate' | 'origin'>;
  const db = queryBuilder(store.executor.backend) as unknown as Kysely<{
    upstream_links: UpstreamLinksTable;
    upstream_imports: BeforeOrigin;
  }>;
  const job = (upstream_id: string, state: string, on_conflict: string): BeforeOrigin => ({
    upstream_id,
    tenant_id: tenant,
    state,
    next_token: null,
    pages: 1,
    seen: 3,
    imported: 1,
    last_error: null,
    started_at: started,
    updated_at: at(10),
    livemode: 0,
    lease_owner: null,
    lease_until: null,
    on_conflict,
    anchor_token: null,
    anchor_last: null,
    anchor_total: null,
  });
  for (const row of [job(done, 'done', 'link'), job(running, 'running', 'link'), job(reported, 'done', 'report')])
    await store.executor.run(db.insertInto('upstream_imports').values(row).compile());
  const link = (upstream_id: string, customer_id: string, minutes: number): UpstreamLinksTable => ({
    upstream_id,
    customer_id,
    tenant_id: tenant,
    remote_id: `remote-${upstream_id}-${customer_id}`,
    created_at: at(minutes),
    import_started_at: null,
  });
  const links = [
    link(done, linkedByImport, 1),
    link(done, imported, 2),
    link(done, linkedLater, 20),
    link(running, linkedByImport, 1),
    link(running, linkedBeside, 20),
    link(reported, report, 1),
  ];
  for (const row of links) await store.executor.run(db.insertInto('upstream_links').values(row).compile());

  await (store.executor as SqliteExecutor | PostgresExecutor).migrate();

  const linked = async (id: string) => {
    const res = await app.request(`/gateway/v1/upstreams/${id}/import`, { headers: auth });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { linked: number }).linked;
  };
  // The finished import: its link of an older customer within its run, not the imported
  // customer's, not one made after it ended. The running one: every link of an older customer
  // since it started, as before 0048. A report-only import links nothing.
  expect({ done: await linked(done), running: await linked(running), reported: await linked(reported) }).toEqual({
    done: 1,
    running: 2,
    reported: 0,
  });
  const marks = await store.executor.all(
    db.selectFrom('upstream_links').select(['upstream_id', 'customer_id', 'import_started_at']).compile(),
  );
  expect(marks.filter((m) => m.import_started_at !== null)).toHaveLength(3);
});
