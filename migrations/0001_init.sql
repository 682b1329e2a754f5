-- Generated from src/store/migrations.ts (migration "0001_init") by `npm run d1:migrations`. Do not edit.
create table "tenants" ("id" varchar(64) primary key, "name" varchar(255) not null, "created_at" varchar(32) not null);
create table "credentials" ("id" varchar(64) primary key, "tenant_id" varchar(64) not null references "tenants" ("id"), "kind" varchar(32) not null, "secret_hash" varchar(64) not null unique, "prefix" varchar(32) not null, "livemode" integer not null, "created_at" varchar(32) not null, "revoked_at" varchar(32));
create index "credentials_tenant" on "credentials" ("tenant_id");
create table "customers" ("id" varchar(64) primary key, "tenant_id" varchar(64) not null references "tenants" ("id"), "public_id" varchar(64) not null, "number" integer not null, "alias" varchar(255), "external_id" varchar(255), "version" integer not null, "data" text not null, "created_at" varchar(32) not null, "updated_at" varchar(32) not null);
create unique index "customers_public_id_unique" on "customers" ("tenant_id", "public_id");
create unique index "customers_number_unique" on "customers" ("tenant_id", "number");
create unique index "customers_alias_unique" on "customers" ("tenant_id", "alias");
create unique index "customers_external_id_unique" on "customers" ("tenant_id", "external_id");
create table "customer_events" ("customer_id" varchar(64) not null, "version" integer not null, "tenant_id" varchar(64) not null, "action" varchar(16) not null, "dialect" varchar(32) not null, "credential_id" varchar(128) not null, "changes" text not null, "created_at" varchar(32) not null, constraint "customer_events_pk" primary key ("customer_id", "version"));
create table "idempotency_keys" ("tenant_id" varchar(64) not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "state" varchar(16) not null, "status" integer, "body" text, "created_at" varchar(32) not null, "expires_at" varchar(32) not null, constraint "idempotency_keys_pk" primary key ("tenant_id", "key"));
create index "idempotency_keys_expiry" on "idempotency_keys" ("expires_at");
