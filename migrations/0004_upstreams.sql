-- Generated from src/store/migrations.ts (migration "0004_upstreams") by `npm run d1:migrations`. Do not edit.
create table "upstreams" ("id" varchar(64) primary key, "tenant_id" varchar(64) not null references "tenants" ("id"), "dialect" varchar(32) not null, "base_url" varchar(2048) not null, "mode" varchar(16) not null, "credentials" text not null, "created_at" varchar(32) not null, constraint "upstreams_mode" check (mode in ('proxy', 'mirror', 'shadow')));
create index "upstreams_tenant" on "upstreams" ("tenant_id");
create table "upstream_links" ("upstream_id" varchar(64) not null, "customer_id" varchar(64) not null, "tenant_id" varchar(64) not null, "remote_id" varchar(255) not null, "created_at" varchar(32) not null, constraint "upstream_links_pk" primary key ("upstream_id", "customer_id"));
create unique index "upstream_links_remote" on "upstream_links" ("upstream_id", "remote_id");
create index "upstream_links_customer" on "upstream_links" ("tenant_id", "customer_id");
create table "gateway_keys" ("name" varchar(64) primary key, "value" text not null, "created_at" varchar(32) not null);
