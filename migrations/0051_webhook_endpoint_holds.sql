-- Generated from src/store/migrations.ts (migration "0051_webhook_endpoint_holds") by `npm run d1:migrations`. Do not edit.
alter table "webhook_endpoints" add column "held_until" varchar(32);
alter table "webhook_endpoints" add column "held_rounds" integer default 0 not null;
