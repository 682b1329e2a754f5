import { type Migration, PostgresAdapter, sql } from 'kysely';
import type { AnyDb } from './migrations.ts';

// Migrations 0010 to 0024: webhooks, upstream imports, inbound upstream webhooks, simulate rules,
// upstream versions, webhook endpoint modes. src/store/migrations.ts puts the parts together, in
// order; a migration once released is never edited.

export const migrations0010: Record<string, Migration> = {
  // #27: picking due deliveries at book scale. `outbox_due` gains created_at, the pick's second
  // order key, so a large due backlog is read in order and the pick stops at its limit instead of
  // sorting every due row. `outbox_open` holds open rows only (pending or dead): the check for an
  // earlier open version of the same customer is one seek, however many versions were delivered.
  // Its predicate is a literal spelled exactly as OutboxStore.due() spells it: SQLite uses a
  // partial index only for a query whose WHERE names the same term.
  '0010_outbox_open': {
    async up(db: AnyDb) {
      await db.schema.dropIndex('outbox_due').execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at', 'created_at']).execute();
      await db.schema
        .createIndex('outbox_open')
        .on('outbox')
        .columns(['upstream_id', 'customer_id', 'version'])
        .where(sql<boolean>`"state" in ('pending', 'dead')`)
        .execute();
    },
  },
  // #28: webhook endpoints (secrets AES-GCM sealed as upstream credentials are), one delivery row per
  // committed customer event and endpoint, written in the write's atomic unit, and the attempt log.
  // An event's id derives from (customer, version), the customer_events row it announces.
  '0011_webhooks': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id'))
        .addColumn('url', 'varchar(2048)', (c) => c.notNull())
        .addColumn('format', 'varchar(16)', (c) => c.notNull())
        .addColumn('dialect', 'varchar(32)', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_until', 'varchar(32)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addCheckConstraint('webhook_endpoints_format', sql`format in ('stripe', 'standard')`)
        .execute();
      await db.schema.createIndex('webhook_endpoints_tenant').on('webhook_endpoints').columns(['tenant_id', 'status']).execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('endpoint_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(128)')
        .addColumn('idempotency_key', 'varchar(255)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('lease_owner', 'varchar(64)')
        .addColumn('lease_until', 'varchar(32)')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_deliveries_pk', ['endpoint_id', 'customer_id', 'version'])
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
      await db.schema
        .createIndex('webhook_deliveries_event')
        .on('webhook_deliveries')
        .columns(['tenant_id', 'customer_id', 'version'])
        .execute();

      await db.schema
        .createTable('webhook_attempts')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('endpoint_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_attempts_endpoint').on('webhook_attempts').columns(['endpoint_id', 'created_at']).execute();
    },
  },
  '0013_upstream_encoding': {
    async up(db: AnyDb) {
      // The body encoding an upstream is sent (`upstream add --encoding`): JSON, as every provider's
      // reference documents, unless a Stripe-compatible provider needs Stripe's form. Every
      // existing upstream keeps JSON, what it was sent before.
      await db.schema
        .alterTable('upstreams')
        .addColumn('encoding', 'varchar(8)', (c) => c.notNull().defaultTo('json'))
        .execute();
    },
  },
  '0014_upstream_imports': {
    async up(db: AnyDb) {
      // One row per upstream being imported (`custgate upstream import`): where the walk of its
      // list stands, written after each page, so a killed import resumes there.
      await db.schema
        .createTable('upstream_imports')
        .addColumn('upstream_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('next_token', 'text')
        .addColumn('pages', 'integer', (c) => c.notNull())
        .addColumn('seen', 'integer', (c) => c.notNull())
        .addColumn('imported', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addCheckConstraint('upstream_imports_state', sql`state in ('running', 'done', 'failed')`)
        .execute();
      await db.schema.createIndex('upstream_imports_tenant').on('upstream_imports').columns(['tenant_id', 'state']).execute();
    },
  },
  // #27: a deleted customer stays as a tombstone (its last version, its history, its links) so a
  // mirror can be told and a retrieve can answer as the provider does for a deleted customer; lists
  // leave it out. Existing rows are live (null).
  '0015_customers_deleted': {
    async up(db: AnyDb) {
      await db.schema.alterTable('customers').addColumn('deleted_at', 'varchar(32)').execute();
    },
  },
  // #28: events the upstreams send in. An upstream's webhook secret is sealed as its credentials
  // are; each accepted event is kept by (upstream, event id) so a replay changes nothing, and by
  // the provider's customer id and time so an event older than one already taken is stale.
  '0016_upstream_webhooks': {
    async up(db: AnyDb) {
      await db.schema.alterTable('upstreams').addColumn('webhook_secret', 'text').execute();
      await db.schema
        .createTable('upstream_webhook_events')
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('event_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('remote_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('event_created', 'bigint', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('received_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_webhook_events_pk', ['upstream_id', 'event_id'])
        .execute();
      await db.schema
        .createIndex('upstream_webhook_events_remote')
        .on('upstream_webhook_events')
        .columns(['upstream_id', 'remote_id', 'event_created'])
        .execute();
    },
  }, // #29: a tenant's simulate rules (`custgate simulate add`, /gateway/v1/simulate), read by a
  // running dev server, so failures can be injected for clients that cannot send a header. And
  // tenant names become unique: a name given to the CLI names one tenant. A database that already
  // has duplicates keeps every row; the later ones are renamed `<name>-2`, `<name>-3`, … by
  // creation order (`<name>-<id>` where that name is taken too).
  '0017_simulate_rules_tenant_names': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('simulate_rules')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('path', 'varchar(255)')
        .addColumn('method', 'varchar(16)')
        .addColumn('simulate', 'varchar(64)', (c) => c.notNull())
        .addColumn('every', 'integer')
        .addColumn('times', 'integer')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('simulate_rules_tenant').on('simulate_rules').column('tenant_id').execute();
      const earlier = sql`from tenants t2 where t2.name = tenants.name and (t2.created_at < tenants.created_at or (t2.created_at = tenants.created_at and t2.id < tenants.id))`;
      const numbered = sql`tenants.name || '-' || cast((select count(*) ${earlier}) + 1 as varchar(20))`;
      await sql`update tenants set name = case when exists (select 1 from tenants t3 where t3.name = ${numbered}) then tenants.name || '-' || tenants.id else ${numbered} end where exists (select 1 ${earlier})`.execute(
        db,
      );
      await db.schema.createIndex('tenants_name_unique').on('tenants').column('name').unique().execute();
    },
  },
  // #27: an import started over HTTP (POST /gateway/v1/upstreams/{id}/import) runs on after the
  // request, on Workers a few pages per cron run: whose customers it stores (test or live keys)
  // must outlive the request. Every existing checkpoint was a CLI import of test keys (0).
  '0021_import_livemode': {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('upstream_imports')
        .addColumn('livemode', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  // #25/#30: a counter per tenant, raised by a trigger in the same transaction as every change to
  // one of its upstreams (whichever process or tool made it, an edit by hand too), so each process
  // can keep the tenant's upstreams opened and check them with one point read instead of listing
  // them on every write (src/upstream/tenant-upstreams.ts). A tenant without a row is at 0: the
  // upstreams that exist already are read once, and the first change raises it.
  '0023_upstream_versions': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('upstream_versions')
        .addColumn('tenant_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
      const raise = (row: 'old' | 'new') =>
        `insert into upstream_versions (tenant_id, version) values (${row}.tenant_id, 1) on conflict (tenant_id) do update set version = upstream_versions.version + 1;`;
      if (db.getExecutor().adapter instanceof PostgresAdapter) {
        await sql
          .raw(
            `create function upstreams_changed() returns trigger language plpgsql as $$ begin if tg_op <> 'INSERT' then ${raise('old')} end if; if tg_op <> 'DELETE' then ${raise('new')} end if; return null; end $$`,
          )
          .execute(db);
        await sql`create trigger upstreams_changed after insert or update or delete on upstreams for each row execute function upstreams_changed()`.execute(
          db,
        );
        return;
      }
      // A row moved to another tenant changes both tenants' upstreams.
      const triggers = [
        ['upstreams_inserted', 'insert', raise('new')],
        ['upstreams_updated', 'update', `${raise('old')} ${raise('new')}`],
        ['upstreams_deleted', 'delete', raise('old')],
      ] as const;
      for (const [name, event, body] of triggers) {
        await sql.raw(`create trigger ${name} after ${event} on upstreams begin ${body} end`).execute(db);
      }
    },
  },
  // #28: webhook endpoints belong to a key mode, as Stripe's do (`livemode` on
  // https://docs.stripe.com/api/webhook_endpoints/object; https://docs.stripe.com/keys#test-live-modes):
  // a test key's endpoints get test-mode events only, and each mode lists its own. Which key made an existing endpoint was not recorded.
  // One made over HTTP by a tenant that never had a test-mode credential can only have been made
  // with a live key, so it is live; every other one is test, the mode that sends no live
  // customer's data to a receiver nobody chose for it. Every row is kept.
  '0024_webhook_endpoint_livemode': {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('livemode', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db
        .updateTable('webhook_endpoints')
        .set({ livemode: 1 })
        .where('tenant_id', 'in', db.selectFrom('credentials').select('tenant_id').where('livemode', '=', 1))
        .where('tenant_id', 'not in', db.selectFrom('credentials').select('tenant_id').where('livemode', '=', 0))
        .execute();
    },
  },
};
