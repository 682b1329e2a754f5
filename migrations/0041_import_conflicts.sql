-- Generated from src/store/migrations.ts (migration "0041_import_conflicts") by `npm run d1:migrations`. Do not edit.
create table "upstream_import_conflicts" ("upstream_id" varchar(64) not null, "remote_id" varchar(255) not null, "key" varchar(16) not null, "tenant_id" varchar(64) not null, "value" text not null, "customer_id" varchar(64) not null, "public_id" varchar(64) not null, "reason" text, "found_at" varchar(32) not null, constraint "upstream_import_conflicts_pk" primary key ("upstream_id", "remote_id", "key"));
alter table "upstream_imports" add column "on_conflict" varchar(8) default 'report' not null;
alter table "upstream_imports" add column "anchor_token" text;
alter table "upstream_imports" add column "anchor_last" varchar(255);
alter table "upstream_imports" add column "anchor_total" integer;
