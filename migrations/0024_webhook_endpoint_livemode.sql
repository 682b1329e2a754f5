-- Generated from src/store/migrations.ts (migration "0024_webhook_endpoint_livemode") by `npm run d1:migrations`. Do not edit.
alter table "webhook_endpoints" add column "livemode" integer default 0 not null;
update "webhook_endpoints" set "livemode" = 1 where "tenant_id" in (select "tenant_id" from "credentials" where "livemode" = 1) and "tenant_id" not in (select "tenant_id" from "credentials" where "livemode" = 0);
