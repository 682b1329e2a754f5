-- Generated from src/store/migrations.ts (migration "0029_outbox_via") by `npm run d1:migrations`. Do not edit.
alter table "outbox" add column "via" text;
