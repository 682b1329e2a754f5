-- Generated from src/store/migrations.ts (migration "0028_create_attempt_claims") by `npm run d1:migrations`. Do not edit.
alter table "upstream_create_attempts" add column "claim_id" varchar(64);
alter table "upstream_create_attempts" add column "claimed_until" varchar(32);
