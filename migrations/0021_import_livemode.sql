-- Generated from src/store/migrations.ts (migration "0021_import_livemode") by `npm run d1:migrations`. Do not edit.
alter table "upstream_imports" add column "livemode" integer default 0 not null;
