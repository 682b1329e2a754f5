-- Generated from src/store/migrations.ts (migration "0007_events_created_at") by `npm run d1:migrations`. Do not edit.
create index "customer_events_created_at" on "customer_events" ("created_at");
