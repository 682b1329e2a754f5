import { describe, expect, it } from 'vitest';
import { queryBuilder } from './compiler.ts';
import { prepared } from './prepared.ts';

describe('prepared queries', () => {
  for (const backend of ['sqlite', 'postgres'] as const) {
    const db = queryBuilder(backend);

    it(`binds by name to the same SQL and parameters as compiling each time (${backend})`, () => {
      const find = prepared<{ tenantId: string; value: number }>(['tenantId', 'value'], (p) =>
        db.selectFrom('customers').selectAll().where('tenant_id', '=', p.tenantId).where('number', '=', p.value).compile(),
      );
      const fresh = db.selectFrom('customers').selectAll().where('tenant_id', '=', 't1').where('number', '=', 42).compile();
      const bound = find({ tenantId: 't1', value: 42 });
      expect(bound.sql).toBe(fresh.sql);
      expect(bound.parameters).toEqual(fresh.parameters);
    });

    it(`keeps constants and binds values in column order, whatever the object's key order (${backend})`, () => {
      const finish = prepared<{ status: number | null; body: string | null; key: string }>(['status', 'body', 'key'], (p) =>
        db.updateTable('idempotency_keys').set({ state: 'done', status: p.status, body: p.body }).where('key', '=', p.key).compile(),
      );
      const bound = finish({ key: 'k', body: null, status: 200 });
      const fresh = db.updateTable('idempotency_keys').set({ state: 'done', status: 200, body: null }).where('key', '=', 'k').compile();
      expect(bound.sql).toBe(fresh.sql);
      expect(bound.parameters).toEqual(['done', 200, null, 'k']);
      expect(bound.parameters).toEqual(fresh.parameters);
    });
  }

  it('refuses a query whose SQL does not carry every named parameter', () => {
    const db = queryBuilder('sqlite');
    expect(() =>
      prepared<{ a: string; b: string }>(['a', 'b'], (p) => db.selectFrom('tenants').selectAll().where('id', '=', p.a).compile()),
    ).toThrow(/parameter b/);
  });
});
