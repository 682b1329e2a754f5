-- Generated from src/store/migrations.ts (migration "0040_gateway_instances") by `npm run d1:migrations`. Do not edit.
create table "gateway_instances" ("id" varchar(64) primary key, "started_at" varchar(32) not null, "beat_at" varchar(32) not null, "dead_after" varchar(32) not null);
alter table "upstream_create_attempts" add column "claim_owner" varchar(64);
