import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

// One source of truth for every backend: written with kysely's schema builder only (no driver
// calls), so the same migrations run on SQLite and PostgreSQL and compile to SQL files for D1.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
type AnyDb = Kysely<any>;

export const migrations: Record<string, Migration> = {
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
  // #27: an import's start must be one atomic claim across processes (two gateways, or a gateway
  // and the CLI, on one database): the holder's id and how long its claim lasts, renewed after
  // each page, so a crashed holder's import can be taken over once its lease lapses, and one that
  // stops cleanly (SIGTERM) releases it at once. Existing checkpoints are held by no one (null).
  // And reconcile stages the ids an upstream listed in a table for the run, so comparing a book
  // of any size with the local one is SQL, not a set held in memory.
  '0025_import_lease_reconcile_ids': {
    async up(db: AnyDb) {
      await db.schema.alterTable('upstream_imports').addColumn('lease_owner', 'varchar(128)').execute();
      await db.schema.alterTable('upstream_imports').addColumn('lease_until', 'varchar(32)').execute();
      await db.schema
        .createTable('reconcile_listed')
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('remote_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('reconcile_listed_pk', ['run_id', 'remote_id'])
        .execute();
      await db.schema.createIndex('reconcile_listed_created').on('reconcile_listed').column('created_at').execute();
    },
  },
  // #24: a create sent to an upstream on behalf of a customer it does not hold yet is recorded
  // before it is sent, so that when its answer is lost the next write of that customer finds what
  // it left there (the same forwarded Idempotency-Key, the marker, or the list look-up) instead of
  // creating it twice. The row goes when the link is stored or the provider refused the create.
  // A new table: no existing row changes.
  '0026_upstream_create_attempts': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('upstream_create_attempts')
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('attempted_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('idempotency_key', 'varchar(300)')
        .addColumn('sent', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_create_attempts_pk', ['upstream_id', 'customer_id'])
        .execute();
      await db.schema
        .createIndex('upstream_create_attempts_customer')
        .on('upstream_create_attempts')
        .columns(['tenant_id', 'customer_id'])
        .execute();
    },
  },
  // A recorded create is owned by the one request sending it: a second write of the same unlinked
  // customer, arriving while it is in flight, must not send a create of its own. The owner's claim
  // (an id, and until when it holds) is taken with the row, released when its send fails, and a
  // claim past its time is a crashed owner's, taken over by the next write. Existing rows are held
  // by no one (null): the next write recovers them as before.
  '0028_create_attempt_claims': {
    async up(db: AnyDb) {
      await db.schema.alterTable('upstream_create_attempts').addColumn('claim_id', 'varchar(64)').execute();
      await db.schema.alterTable('upstream_create_attempts').addColumn('claimed_until', 'varchar(32)').execute();
    },
  },
  '0029_outbox_via': {
    async up(db: AnyDb) {
      // Null for the rows already there: they are sent as before, naming this gateway alone.
      await db.schema.alterTable('outbox').addColumn('via', 'text').execute();
    },
  },
  // #27: the pick of due deliveries on PostgreSQL walks pending rows in due order one index
  // descent at a time (src/store/outbox-due.ts), whatever the table's statistics. The key columns
  // end the order so that every step starts strictly after the last (a backfill queues a page of
  // customers with one timestamp). Pending rows only, with the literal the pick writes; SQLite and
  // D1 keep their pick through `outbox_due` and carry the index unused. Rows are untouched.
  '0035_outbox_pending': {
    async up(db: AnyDb) {
      await db.schema
        .createIndex('outbox_pending')
        .on('outbox')
        .columns(['next_attempt_at', 'created_at', 'upstream_id', 'customer_id', 'version'])
        .where(sql<boolean>`"state" = 'pending'`)
        .execute();
    },
  },
  // A crashed process's create claim is taken over once its process is known dead, not only when
  // the claim's own bound (22 upstream time-outs) runs out. Each gateway process keeps a row here
  // and renews it every heartbeat; `dead_after` is the process's own statement of when, unheard
  // from, it is dead and every request it sent has been answered or timed out at the provider.
  // A claim names its owner's row; claims from before (and a Worker's) name none and keep their
  // bound. Existing rows are untouched.
  '0040_gateway_instances': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('gateway_instances')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('beat_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('dead_after', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('upstream_create_attempts').addColumn('claim_owner', 'varchar(64)').execute();
    },
  },
  // An import meets a provider customer whose alias or external_id a local customer holds: the
  // import goes on past it and records the conflict here (one row per provider customer and key),
  // so that it is named in the import's state until it is resolved. `on_conflict` is the run's
  // choice (`report`, or `link` the local customer to the provider's), kept with the checkpoint so
  // a Workers cron carrying the import on makes the same one. Existing checkpoints report.
  '0041_import_conflicts': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('upstream_import_conflicts')
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('remote_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('key', 'varchar(16)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('public_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('found_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_import_conflicts_pk', ['upstream_id', 'remote_id', 'key'])
        .execute();
      await db.schema
        .alterTable('upstream_imports')
        .addColumn('on_conflict', 'varchar(8)', (c) => c.notNull().defaultTo('report'))
        .execute();
      // A list paged by position (Meteroid, Bigcapital) shifts under a create or delete: the last
      // page read (its token, its last customer, the list's count then) is what the next page is
      // checked against, after a resume too (src/upstream/list-shift.ts). Null: none read yet.
      await db.schema.alterTable('upstream_imports').addColumn('anchor_token', 'text').execute();
      await db.schema.alterTable('upstream_imports').addColumn('anchor_last', 'varchar(255)').execute();
      await db.schema.alterTable('upstream_imports').addColumn('anchor_total', 'integer').execute();
    },
  },
  // Stripe's webhook endpoint carries a description and metadata, set on create and changed by
  // update (https://docs.stripe.com/api/webhook_endpoints/update). Null on the rows already there:
  // no description, no metadata, as Stripe shows an endpoint made without them.
  '0044_webhook_endpoint_description': {
    async up(db: AnyDb) {
      await db.schema.alterTable('webhook_endpoints').addColumn('description', 'text').execute();
      await db.schema.alterTable('webhook_endpoints').addColumn('metadata', 'text').execute();
    },
  },
  // An event id named a customer's version alone, so a UUID that came back (a store restored from an
  // older backup) gave a second event an id a receiver had
  // seen (src/webhooks/event-ids.ts). Events from this migration on add their time to the id; the
  // time it ran is kept, so events from before keep the ids they were sent with (retries, resends).
  // The database's own clock, as ISO 8601 in UTC (the format every created_at has): the D1 file
  // states no time of its own.
  '0045_webhook_event_ids': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('webhook_event_ids')
        .addColumn('since', 'varchar(32)', (c) => c.notNull())
        .execute();
      const now =
        db.getExecutor().adapter instanceof PostgresAdapter
          ? sql`to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
          : sql`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
      await sql`insert into webhook_event_ids (since) values (${now})`.execute(db);
    },
  },
  // A reset of a tenant raises its generation in the reset's own transaction, holding the tenant's
  // row; a delivery round logs its attempts only while the generation it leased under holds, taking
  // that row shared (PostgreSQL). So a round's commit and a reset's, on two connections, cannot
  // interleave to leave an attempt of before the reset in the log after it (src/store/tenant-reset.ts).
  '0047_tenant_reset_generation': {
    async up(db: AnyDb) {
      await sql`alter table tenants add column reset_generation integer not null default 0`.execute(db);
    },
  },
};
