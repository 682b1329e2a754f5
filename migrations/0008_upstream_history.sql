-- Generated from src/store/migrations.ts (migration "0008_upstream_history") by `npm run d1:migrations`. Do not edit.
alter table "upstreams" add column "removed_at" varchar(32);
create table "upstream_history" ("id" varchar(64) primary key, "upstream_id" varchar(64) not null, "tenant_id" varchar(64) not null, "event" varchar(32) not null, "mode" varchar(16) not null, "previous_mode" varchar(16), "detail" text, "created_at" varchar(32) not null);
create index "upstream_history_upstream" on "upstream_history" ("tenant_id", "upstream_id", "created_at");
