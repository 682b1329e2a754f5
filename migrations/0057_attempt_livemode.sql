-- Generated from src/store/migrations.ts (migration "0057_attempt_livemode") by `npm run d1:migrations`. Do not edit.
alter table "upstream_create_attempts" add column "livemode" integer;
create index "customers_tenant_livemode" on "customers" ("tenant_id", "livemode");
