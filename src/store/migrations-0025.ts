import { type Migration, PostgresAdapter, sql } from 'kysely';
import type { AnyDb } from './migrations.ts';

// Migrations 0025 on: import leases, create attempts, the outbox's via and pending, gateway
// instances, import conflicts, webhook endpoint fields and event ids, reset generations,
// `outbox_pending` left to PostgreSQL alone, webhook endpoints' holds and api_version, import
// refusals, and one proxy per tenant.
// src/store/migrations.ts puts the parts together, in order; a migration once released is never edited.

export const migrations0025: Record<string, Migration> = {
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
  // An import's `linked` counts the links it made itself (src/store/imports.ts): a link made beside
  // it (a proxied write, a delivery's answer) is not one. Null for the links already there.
  '0048_link_import_started_at': {
    async up(db: AnyDb) {
      await db.schema.alterTable('upstream_links').addColumn('import_started_at', 'varchar(32)').execute();
    },
  },
  // The links an import made before 0048 carry no mark, so its `linked` read 0 for them after the
  // upgrade (a finished import's too: it is read again on every status). They are marked by the
  // rule `linked` read before 0048: a link to the upstream made since the import started, to a
  // customer older than it; for a finished import, made no later than its last checkpoint. Only
  // unmarked links of `--on-conflict link` imports; one made beside a running import before the
  // upgrade is counted as it was then.
  '0049_link_import_mark_backfill': {
    async up(db: AnyDb) {
      const owner = sql`from upstream_imports i join customers c on c.id = upstream_links.customer_id and c.tenant_id = upstream_links.tenant_id
        where i.upstream_id = upstream_links.upstream_id and i.tenant_id = upstream_links.tenant_id and i.on_conflict = 'link'
          and upstream_links.created_at >= i.started_at and c.created_at < i.started_at
          and (i.state = 'running' or upstream_links.created_at <= i.updated_at)`;
      await sql`update upstream_links set import_started_at = (select i.started_at ${owner})
        where import_started_at is null and exists (select 1 ${owner})`.execute(db);
    },
  },
  // `outbox_pending` (0035) serves PostgreSQL's pick alone (src/store/outbox-due.ts). SQLite and D1
  // pick through `outbox_due` and `outbox_open` (src/store/outbox.ts), and bind the state there, so
  // the index's `"state" = 'pending'` is never implied: SQLite cannot use it even when told to
  // (INDEXED BY: "no query solution"). No query of theirs read it, and every outbox insert and
  // settle kept it up to date. Rows are untouched; PostgreSQL keeps the index.
  '0050_outbox_pending_postgres_only': {
    async up(db: AnyDb) {
      if (db.getExecutor().adapter instanceof PostgresAdapter) return;
      await db.schema.dropIndex('outbox_pending').execute();
    },
  },
  // A webhook endpoint's hold (src/webhooks/dispatcher.ts) was kept in the memory of the process
  // whose round failed: a release by another process (`custgate webhook enable`, a second server)
  // reached the deliveries' rows but not that memory, which went on holding them for up to an hour.
  // The hold is the endpoint's now, read with it once per round: when it ends (ISO 8601; a past
  // time: released) and the failed rounds its backoff doubles from.
  '0051_webhook_endpoint_holds': {
    async up(db: AnyDb) {
      await db.schema.alterTable('webhook_endpoints').addColumn('held_until', 'varchar(32)').execute();
      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('held_rounds', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  // Stripe's `api_version` of a webhook endpoint, as its create named it (null: none named), so
  // the endpoint shows it back (src/http/stripe-endpoint-params.ts). 0052: 0051 was taken on
  // another branch of the same day.
  '0052_webhook_endpoint_api_version': {
    async up(db: AnyDb) {
      await db.schema.alterTable('webhook_endpoints').addColumn('api_version', 'varchar(64)').execute();
    },
  },
  // An import meets a provider customer this gateway cannot store as the provider holds it (a NUL
  // character, which PostgreSQL text cannot hold; a value past the canonical limits): the import
  // leaves it out, goes on with the rest of the list, and records it here (one row per provider
  // customer, with why), so it is named in the import's state until a walk stores it. 0053: 0051
  // and 0052 were taken on other branches of the same day.
  '0053_import_refusals': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('upstream_import_refusals')
        .addColumn('upstream_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('remote_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('found_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_import_refusals_pk', ['upstream_id', 'remote_id'])
        .execute();
    },
  },
  // `custgate upstream resync` (src/outbox/resync.ts): a delivery that sends the customer's whole
  // local state, not the fields changed since the upstream's last delivered version, for a version
  // that may have been delivered already (the provider's copy was edited there). Set (a token, null
  // otherwise) on the row of the customer's current version, delivered or not; the token is part of
  // the delivery's Idempotency-Key, so a provider does not answer it with the first delivery's reply.
  '0054_outbox_resync': {
    async up(db: AnyDb) {
      await db.schema.alterTable('outbox').addColumn('resync', 'varchar(64)').execute();
    },
  },
  // A Stripe event's `request` ({id, idempotency_key}) was kept only with the event's webhook
  // deliveries, so `GET /v1/events` of a tenant without endpoints listed every API write's event
  // with a null request. The event row keeps it now; earlier events keep what their deliveries hold.
  '0055_event_request': {
    async up(db: AnyDb) {
      await db.schema.alterTable('customer_events').addColumn('request_id', 'varchar(128)').execute();
      await db.schema.alterTable('customer_events').addColumn('idempotency_key', 'varchar(255)').execute();
    },
  },
  // A resync of a version delivered already turns that delivered row into a pending one
  // (src/outbox/resync.ts); `outbox drop` of it then deleted the customer's delivered history with
  // it. The row's columns as they were (JSON; null: it was not delivered) are kept here, and a
  // drop puts them back (src/store/outbox.ts).
  '0056_outbox_resync_prior': {
    async up(db: AnyDb) {
      await db.schema.alterTable('outbox').addColumn('resync_prior', 'text').execute();
    },
  },
  // One proxy per tenant (one system of record) was checked before the insert only: two adds at
  // once (POST /gateway/v1/upstreams, whose loop probe waits up to 3 s between the check and the
  // insert) both stored one. The index makes the second a unique violation (a 409). A tenant that
  // already has two keeps its oldest as the proxy; the others become mirrors, which send the
  // same writes without answering for them.
  '0058_one_proxy': {
    async up(db: AnyDb) {
      await sql`update upstreams set mode = 'mirror' where mode = 'proxy' and removed_at is null and exists (select 1 from upstreams o where o.tenant_id = upstreams.tenant_id and o.mode = 'proxy' and o.removed_at is null and (o.created_at < upstreams.created_at or (o.created_at = upstreams.created_at and o.id < upstreams.id)))`.execute(
        db,
      );
      await sql`create unique index upstreams_one_proxy on upstreams (tenant_id) where mode = 'proxy' and removed_at is null`.execute(db);
    },
  },
};
