-- Generated from src/store/migrations.ts (migration "0047_tenant_reset_generation") by `npm run d1:migrations`. Do not edit.
alter table tenants add column reset_generation integer not null default 0;
