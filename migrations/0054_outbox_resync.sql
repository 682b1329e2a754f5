-- Generated from src/store/migrations.ts (migration "0054_outbox_resync") by `npm run d1:migrations`. Do not edit.
alter table "outbox" add column "resync" varchar(64);
