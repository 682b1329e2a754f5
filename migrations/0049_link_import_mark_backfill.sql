-- Generated from src/store/migrations.ts (migration "0049_link_import_mark_backfill") by `npm run d1:migrations`. Do not edit.
update upstream_links set import_started_at = (select i.started_at from upstream_imports i join customers c on c.id = upstream_links.customer_id and c.tenant_id = upstream_links.tenant_id
        where i.upstream_id = upstream_links.upstream_id and i.tenant_id = upstream_links.tenant_id and i.on_conflict = 'link'
          and upstream_links.created_at >= i.started_at and c.created_at < i.started_at
          and (i.state = 'running' or upstream_links.created_at <= i.updated_at))
        where import_started_at is null and exists (select 1 from upstream_imports i join customers c on c.id = upstream_links.customer_id and c.tenant_id = upstream_links.tenant_id
        where i.upstream_id = upstream_links.upstream_id and i.tenant_id = upstream_links.tenant_id and i.on_conflict = 'link'
          and upstream_links.created_at >= i.started_at and c.created_at < i.started_at
          and (i.state = 'running' or upstream_links.created_at <= i.updated_at));
