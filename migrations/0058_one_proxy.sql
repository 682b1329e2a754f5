-- Generated from src/store/migrations.ts (migration "0058_one_proxy") by `npm run d1:migrations`. Do not edit.
update upstreams set mode = 'mirror' where mode = 'proxy' and removed_at is null and exists (select 1 from upstreams o where o.tenant_id = upstreams.tenant_id and o.mode = 'proxy' and o.removed_at is null and (o.created_at < upstreams.created_at or (o.created_at = upstreams.created_at and o.id < upstreams.id)));
create unique index upstreams_one_proxy on upstreams (tenant_id) where mode = 'proxy' and removed_at is null;
