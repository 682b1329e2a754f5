-- Generated from src/store/migrations.ts (migration "0013_upstream_encoding") by `npm run d1:migrations`. Do not edit.
alter table "upstreams" add column "encoding" varchar(8) default 'json' not null;
