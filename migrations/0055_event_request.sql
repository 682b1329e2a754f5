-- Generated from src/store/migrations.ts (migration "0055_event_request") by `npm run d1:migrations`. Do not edit.
alter table "customer_events" add column "request_id" varchar(128);
alter table "customer_events" add column "idempotency_key" varchar(255);
