-- Generated from src/store/migrations.ts (migration "0016_upstream_webhooks") by `npm run d1:migrations`. Do not edit.
alter table "upstreams" add column "webhook_secret" text;
create table "upstream_webhook_events" ("upstream_id" varchar(64) not null, "event_id" varchar(255) not null, "tenant_id" varchar(64) not null, "remote_id" varchar(255) not null, "type" varchar(64) not null, "event_created" bigint not null, "outcome" varchar(16) not null, "received_at" varchar(32) not null, constraint "upstream_webhook_events_pk" primary key ("upstream_id", "event_id"));
create index "upstream_webhook_events_remote" on "upstream_webhook_events" ("upstream_id", "remote_id", "event_created");
