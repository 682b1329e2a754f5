import { describe, expect, it } from 'vitest';
import { type Customer, fieldDefaults, stateDefaults } from '../../schemas/index.ts';
import type { CustomerRow } from '../store/index.ts';
import { customerToRow, rowToCustomer } from './customer-row.ts';

/** What rowToCustomer is defined to return: its data laid over the defaults, then the columns. */
function reference(row: CustomerRow): Record<string, unknown> {
  return {
    ...fieldDefaults,
    ...stateDefaults,
    ...(JSON.parse(row.data) as object),
    uuid: row.id,
    public_id: row.public_id,
    number: Number(row.number),
    alias: row.alias,
    external_id: row.external_id,
    version: Number(row.version),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const customer = {
  ...fieldDefaults,
  ...stateDefaults,
  name: 'Jenny Rosen',
  metadata: { plan: 'gold' },
  alias: 'jenny',
  uuid: '7b0c9b9e-7c4f-4d0e-9d44-6a0f7f3f1c2a',
  public_id: 'cus_abcdefghijklmn',
  number: 7,
  version: 3,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-02T00:00:00.000Z',
} as Customer;

function expectSame(row: CustomerRow) {
  const got = rowToCustomer(row) as unknown as Record<string, unknown>;
  const want = reference(row);
  expect(got).toEqual(want);
  expect(Object.keys(got)).toEqual(Object.keys(want));
  expect(JSON.stringify(got)).toBe(JSON.stringify(want));
}

describe('rowToCustomer', () => {
  it('round-trips a customer, keys in the same order', () => {
    const row = customerToRow(customer, 'tenant');
    expect(rowToCustomer(row)).toEqual(customer);
    expectSame(row);
  });

  it('fills what stored data lacks from the defaults', () => {
    expectSame({ ...customerToRow(customer, 'tenant'), data: JSON.stringify({ name: 'Only a name' }) });
  });

  it('keeps keys it does not know where the spread puts them', () => {
    expectSame({ ...customerToRow(customer, 'tenant'), data: JSON.stringify({ name: 'x', future_field: 1 }) });
  });

  it('keeps a stored __proto__ key an own property, never a prototype', () => {
    const row = { ...customerToRow(customer, 'tenant'), data: '{"name":"x","__proto__":{"polluted":true}}' };
    const got = rowToCustomer(row) as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect('polluted' in got).toBe(false);
    expectSame(row);
  });
});
