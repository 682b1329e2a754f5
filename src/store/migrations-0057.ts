import type { Migration } from 'kysely';
import type { AnyDb } from './migrations.ts';

/** Migrations from 0057 on (migrations.ts). */
export const migrations0057: Record<string, Migration> = {
  // A create recorded for a client's keyed create whose answer was lost has no customer here to
  // take a mode from: the record keeps the mode of the key that sent it (1 live, 0 test; null for
  // records from before), so each key lists and clears its own (src/upstream/stuck-creates.ts).
  // Whether a tenant has a live customer (src/store/tenant-admin.ts, asked on every upstream change
  // and create-attempt read by a test key) read every customer of a tenant that has none: at
  // 100,000 customers of about 1 KB, 27 to 35 ms on SQLite and 35 to 125 ms on PostgreSQL per
  // call; with this index under 1 ms (1 to 6 on PostgreSQL).
  '0057_attempt_livemode': {
    async up(db: AnyDb) {
      await db.schema.alterTable('upstream_create_attempts').addColumn('livemode', 'integer').execute();
      await db.schema.createIndex('customers_tenant_livemode').on('customers').columns(['tenant_id', 'livemode']).execute();
    },
  },
  // A gateway resumes the imports started over HTTP that nobody holds (src/upstream/import-job.ts
  // `resume`), at the rate they were started with; one started by the CLI is not (its ^C means
  // stop). Rows from before: origin null, not resumed by a gateway; rate null, no limit.
  '0059_import_origin': {
    async up(db: AnyDb) {
      await db.schema.alterTable('upstream_imports').addColumn('rate', 'double precision').execute();
      await db.schema.alterTable('upstream_imports').addColumn('origin', 'varchar(8)').execute();
    },
  },
  // The webhook dispatcher's pick of due deliveries (src/webhooks/due-pick.ts) walks this index in
  // due order, forwards for the earliest due, backwards for the latest, and stops once it has its
  // round. `webhook_deliveries_due` (0011: state, next_attempt_at) did not close the order, so
  // every pick read all due rows and sorted them: at 20,000 pending, about 19 ms per pick on SQLite
  // and 95 to 146 ms on PostgreSQL, on every round. The key columns end it so that PostgreSQL's
  // walk starts each step strictly after the last. The old index is a prefix of this one: dropped.
  '0060_webhook_deliveries_pick': {
    async up(db: AnyDb) {
      await db.schema
        .createIndex('webhook_deliveries_pick')
        .on('webhook_deliveries')
        .columns(['state', 'next_attempt_at', 'created_at', 'endpoint_id', 'customer_id', 'version'])
        .execute();
      await db.schema.dropIndex('webhook_deliveries_due').execute();
    },
  },
};
