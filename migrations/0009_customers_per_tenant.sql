-- Generated from src/store/migrations.ts (migration "0009_customers_per_tenant") by `npm run d1:migrations`. Do not edit.
create table "customers_0009" ("id" varchar(64) not null, "tenant_id" varchar(64) not null references "tenants" ("id"), "public_id" varchar(64) not null, "number" integer not null, "alias" varchar(255), "external_id" varchar(255), "version" integer not null, "data" text not null, "created_at" varchar(32) not null, "updated_at" varchar(32) not null, "livemode" integer, constraint "customers_pk" primary key ("tenant_id", "id"));
insert into "customers_0009" ("id", "tenant_id", "public_id", "number", "alias", "external_id", "version", "data", "created_at", "updated_at", "livemode") select "id", "tenant_id", "public_id", "number", "alias", "external_id", "version", "data", "created_at", "updated_at", case json_type(data, '$.livemode') when 'true' then 1 when 'false' then 0 end as "livemode" from "customers";
drop table "customers";
alter table "customers_0009" rename to "customers";
create unique index "customers_public_id_unique" on "customers" ("tenant_id", "public_id");
create unique index "customers_number_unique" on "customers" ("tenant_id", "number");
create unique index "customers_alias_unique" on "customers" ("tenant_id", "alias");
create unique index "customers_external_id_unique" on "customers" ("tenant_id", "external_id");
create table "customer_events_0009" ("customer_id" varchar(64) not null, "version" integer not null, "tenant_id" varchar(64) not null, "action" varchar(16) not null, "dialect" varchar(32) not null, "credential_id" varchar(128) not null, "changes" text not null, "created_at" varchar(32) not null, constraint "customer_events_key" primary key ("tenant_id", "customer_id", "version"));
insert into "customer_events_0009" ("customer_id", "version", "tenant_id", "action", "dialect", "credential_id", "changes", "created_at") select "customer_id", "version", "tenant_id", "action", "dialect", "credential_id", "changes", "created_at" from "customer_events";
drop table "customer_events";
alter table "customer_events_0009" rename to "customer_events";
create index "customer_events_created_at" on "customer_events" ("created_at");
