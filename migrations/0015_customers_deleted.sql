-- Generated from src/store/migrations.ts (migration "0015_customers_deleted") by `npm run d1:migrations`. Do not edit.
alter table "customers" add column "deleted_at" varchar(32);
