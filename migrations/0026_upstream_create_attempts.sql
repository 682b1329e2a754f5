-- Generated from src/store/migrations.ts (migration "0026_upstream_create_attempts") by `npm run d1:migrations`. Do not edit.
create table "upstream_create_attempts" ("upstream_id" varchar(64) not null, "customer_id" varchar(64) not null, "tenant_id" varchar(64) not null, "attempted_at" varchar(32) not null, "idempotency_key" varchar(300), "sent" text not null, constraint "upstream_create_attempts_pk" primary key ("upstream_id", "customer_id"));
create index "upstream_create_attempts_customer" on "upstream_create_attempts" ("tenant_id", "customer_id");
