-- Generated from src/store/migrations.ts (migration "0010_outbox_open") by `npm run d1:migrations`. Do not edit.
drop index "outbox_due";
create index "outbox_due" on "outbox" ("state", "next_attempt_at", "created_at");
create index "outbox_open" on "outbox" ("upstream_id", "customer_id", "version") where "state" in ('pending', 'dead');
