-- Generated from src/store/migrations.ts (migration "0035_outbox_pending") by `npm run d1:migrations`. Do not edit.
create index "outbox_pending" on "outbox" ("next_attempt_at", "created_at", "upstream_id", "customer_id", "version") where "state" = 'pending';
