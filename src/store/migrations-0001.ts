import { type Migration, PostgresAdapter, sql } from 'kysely';
import type { AnyDb } from './migrations.ts';

// Migrations 0001 to 0009: the tables of the first releases (tenants, credentials, customers and
// their events, upstreams, the outbox). src/store/migrations.ts puts the parts together, in
// order; a migration once released is never edited.

export const migrations0001: Record<string, Migration> = {
  '0001_init': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('credentials')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id'))
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('prefix', 'varchar(32)', (c) => c.notNull())
        .addColumn('livemode', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(32)')
        .execute();
      await db.schema.createIndex('credentials_tenant').on('credentials').column('tenant_id').execute();

      await db.schema
        .createTable('customers')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id'))
        .addColumn('public_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('alias', 'varchar(255)')
        .addColumn('external_id', 'varchar(255)')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      for (const column of ['public_id', 'number', 'alias', 'external_id'] as const) {
        await db.schema.createIndex(`customers_${column}_unique`).on('customers').columns(['tenant_id', column]).unique().execute();
      }

      await db.schema
        .createTable('customer_events')
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(16)', (c) => c.notNull())
        .addColumn('dialect', 'varchar(32)', (c) => c.notNull())
        .addColumn('credential_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('changes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('customer_events_pk', ['customer_id', 'version'])
        .execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('body', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();
    },
  },
  '0002_signing_keys': {
    // #13: each tenant's own JWT signing key (random, made at tenant creation), so a token can only
    // ever name the tenant whose key signed it and no secret ships in the source.
    async up(db: AnyDb) {
      await db.schema
        .createTable('signing_keys')
        .addColumn('tenant_id', 'varchar(64)', (c) => c.primaryKey().references('tenants.id'))
        .addColumn('secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
  },
  '0004_upstreams': {
    async up(db: AnyDb) {
      // A tenant's upstream providers; credentials are AES-GCM ciphertext (src/upstream/secrets.ts).
      await db.schema
        .createTable('upstreams')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id'))
        .addColumn('dialect', 'varchar(32)', (c) => c.notNull())
        .addColumn('base_url', 'varchar(2048)', (c) => c.notNull())
        .addColumn('mode', 'varchar(16)', (c) => c.notNull())
        .addColumn('credentials', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addCheckConstraint('upstreams_mode', sql`mode in ('proxy', 'mirror', 'shadow')`)
        .execute();
      await db.schema.createIndex('upstreams_tenant').on('upstreams').column('tenant_id').execute();

      // Each canonical customer's id at each upstream.
      await db.schema
        .createTable('upstream_links')
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('remote_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_links_pk', ['upstream_id', 'customer_id'])
        .execute();
      await db.schema.createIndex('upstream_links_remote').on('upstream_links').columns(['upstream_id', 'remote_id']).unique().execute();
      await db.schema.createIndex('upstream_links_customer').on('upstream_links').columns(['tenant_id', 'customer_id']).execute();

      // Keys the gateway generated for itself outside production (the credentials key).
      await db.schema
        .createTable('gateway_keys')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
  },
  // #17: the transactional outbox (one row per committed write and mirror/shadow upstream) and
  // the shadow comparisons. The delivery's key is its natural one: a write makes one version of a
  // customer, delivered once to each upstream.
  '0006_outbox': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('outbox')
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(16)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('lease_owner', 'varchar(64)')
        .addColumn('lease_until', 'varchar(32)')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('outbox_pk', ['upstream_id', 'customer_id', 'version'])
        .execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();
      await db.schema.createIndex('outbox_customer').on('outbox').columns(['tenant_id', 'customer_id']).execute();

      await db.schema
        .createTable('shadow_checks')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('dialect', 'varchar(32)', (c) => c.notNull())
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('local_version', 'integer', (c) => c.notNull())
        .addColumn('upstream_version', 'varchar(64)')
        .addColumn('mismatches', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('shadow_checks_tenant').on('shadow_checks').columns(['tenant_id', 'dialect']).execute();

      await db.schema
        .createTable('shadow_diffs')
        .addColumn('check_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('field', 'varchar(64)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('dialect', 'varchar(32)', (c) => c.notNull())
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('local_value', 'text', (c) => c.notNull())
        .addColumn('upstream_value', 'text', (c) => c.notNull())
        .addColumn('local_version', 'integer', (c) => c.notNull())
        .addColumn('upstream_version', 'varchar(64)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('shadow_diffs_pk', ['check_id', 'field'])
        .execute();
      await db.schema.createIndex('shadow_diffs_tenant').on('shadow_diffs').columns(['tenant_id', 'dialect', 'field']).execute();
    },
  },
  // The retention purge (CUSTGATE_EVENT_RETENTION_DAYS) deletes by age: without this index it
  // scanned the whole history table on every run.
  '0007_events_created_at': {
    async up(db: AnyDb) {
      await db.schema.createIndex('customer_events_created_at').on('customer_events').column('created_at').execute();
    },
  },
  // An upstream's mode changes in place and a removed upstream is kept (removed_at) so that adding
  // it again (same dialect and base URL) finds its links: a cut-over never creates a customer twice.
  // Each change is a row of its history.
  '0008_upstream_history': {
    async up(db: AnyDb) {
      await db.schema.alterTable('upstreams').addColumn('removed_at', 'varchar(32)').execute();
      await db.schema
        .createTable('upstream_history')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('event', 'varchar(32)', (c) => c.notNull())
        .addColumn('mode', 'varchar(16)', (c) => c.notNull())
        .addColumn('previous_mode', 'varchar(16)')
        .addColumn('detail', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('upstream_history_upstream')
        .on('upstream_history')
        .columns(['tenant_id', 'upstream_id', 'created_at'])
        .execute();
    },
  },
  // #26: a customer's id is unique within its tenant, not across the database (two tenants proxying
  // to one provider account adopt the same upstream ids), and each customer records the mode of
  // the key that created it (Stripe keeps test and live data apart:
  // https://docs.stripe.com/keys#test-live-modes). Neither SQLite nor D1 can change a primary key
  // in place, so both tables are rebuilt and every row copied.
  '0009_customers_per_tenant': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('customers_0009')
        .addColumn('id', 'varchar(64)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull().references('tenants.id'))
        .addColumn('public_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('alias', 'varchar(255)')
        .addColumn('external_id', 'varchar(255)')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        // 1 live, 0 test, null: not recorded (readable in both modes).
        .addColumn('livemode', 'integer')
        .addPrimaryKeyConstraint('customers_pk', ['tenant_id', 'id'])
        .execute();
      const columns = ['id', 'tenant_id', 'public_id', 'number', 'alias', 'external_id', 'version', 'data', 'created_at', 'updated_at'];
      // The mode each customer was created in is in its data since 0001 (`livemode`, from the key).
      const recorded =
        db.getExecutor().adapter instanceof PostgresAdapter
          ? sql<number | null>`case (cast(data as jsonb) ->> 'livemode') when 'true' then 1 when 'false' then 0 end`
          : sql<number | null>`case json_type(data, '$.livemode') when 'true' then 1 when 'false' then 0 end`;
      await db
        .insertInto('customers_0009')
        .columns([...columns, 'livemode'])
        .expression(db.selectFrom('customers').select([...columns, recorded.as('livemode')]))
        .execute();
      await db.schema.dropTable('customers').execute();
      await db.schema.alterTable('customers_0009').renameTo('customers').execute();
      for (const column of ['public_id', 'number', 'alias', 'external_id'] as const) {
        await db.schema.createIndex(`customers_${column}_unique`).on('customers').columns(['tenant_id', column]).unique().execute();
      }

      await db.schema
        .createTable('customer_events_0009')
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(16)', (c) => c.notNull())
        .addColumn('dialect', 'varchar(32)', (c) => c.notNull())
        .addColumn('credential_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('changes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('customer_events_key', ['tenant_id', 'customer_id', 'version'])
        .execute();
      const eventColumns = ['customer_id', 'version', 'tenant_id', 'action', 'dialect', 'credential_id', 'changes', 'created_at'];
      await db
        .insertInto('customer_events_0009')
        .columns(eventColumns)
        .expression(db.selectFrom('customer_events').select(eventColumns))
        .execute();
      await db.schema.dropTable('customer_events').execute();
      await db.schema.alterTable('customer_events_0009').renameTo('customer_events').execute();
      await db.schema.createIndex('customer_events_created_at').on('customer_events').column('created_at').execute();
    },
  },
};
