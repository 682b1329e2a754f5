-- Generated from src/store/migrations.ts (migration "0052_webhook_endpoint_api_version") by `npm run d1:migrations`. Do not edit.
alter table "webhook_endpoints" add column "api_version" varchar(64);
