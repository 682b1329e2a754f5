-- Generated from src/store/migrations.ts (migration "0059_import_origin") by `npm run d1:migrations`. Do not edit.
alter table "upstream_imports" add column "rate" double precision;
alter table "upstream_imports" add column "origin" varchar(8);
