-- Generated from src/store/migrations.ts (migration "0050_outbox_pending_postgres_only") by `npm run d1:migrations`. Do not edit.
drop index "outbox_pending";
