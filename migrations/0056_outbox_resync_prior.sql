-- Generated from src/store/migrations.ts (migration "0056_outbox_resync_prior") by `npm run d1:migrations`. Do not edit.
alter table "outbox" add column "resync_prior" text;
