-- Generated from src/store/migrations.ts (migration "0002_signing_keys") by `npm run d1:migrations`. Do not edit.
create table "signing_keys" ("tenant_id" varchar(64) primary key references "tenants" ("id"), "secret" varchar(128) not null, "created_at" varchar(32) not null);
