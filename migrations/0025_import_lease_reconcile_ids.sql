-- Generated from src/store/migrations.ts (migration "0025_import_lease_reconcile_ids") by `npm run d1:migrations`. Do not edit.
alter table "upstream_imports" add column "lease_owner" varchar(128);
alter table "upstream_imports" add column "lease_until" varchar(32);
create table "reconcile_listed" ("run_id" varchar(64) not null, "remote_id" varchar(255) not null, "created_at" varchar(32) not null, constraint "reconcile_listed_pk" primary key ("run_id", "remote_id"));
create index "reconcile_listed_created" on "reconcile_listed" ("created_at");
