-- Generated from src/store/migrations.ts (migration "0044_webhook_endpoint_description") by `npm run d1:migrations`. Do not edit.
alter table "webhook_endpoints" add column "description" text;
alter table "webhook_endpoints" add column "metadata" text;
