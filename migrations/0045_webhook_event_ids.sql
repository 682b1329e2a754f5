-- Generated from src/store/migrations.ts (migration "0045_webhook_event_ids") by `npm run d1:migrations`. Do not edit.
create table "webhook_event_ids" ("since" varchar(32) not null);
insert into webhook_event_ids (since) values (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
