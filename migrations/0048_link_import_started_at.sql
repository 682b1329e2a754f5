-- Generated from src/store/migrations.ts (migration "0048_link_import_started_at") by `npm run d1:migrations`. Do not edit.
alter table "upstream_links" add column "import_started_at" varchar(32);
