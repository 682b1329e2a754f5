-- Generated from src/store/migrations.ts (migration "0060_webhook_deliveries_pick") by `npm run d1:migrations`. Do not edit.
create index "webhook_deliveries_pick" on "webhook_deliveries" ("state", "next_attempt_at", "created_at", "endpoint_id", "customer_id", "version");
drop index "webhook_deliveries_due";
