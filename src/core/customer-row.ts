import {
  type Customer,
  type CustomerFields,
  type CustomerState,
  fieldDefaults,
  stateDefaults,
} from '../../schemas/index.ts';
import type { CustomerRow } from '../store/index.ts';

// alias and external_id live in their own columns (unique per tenant); everything else in `data`.
type Stored = Omit<CustomerFields, 'alias' | 'external_id'> & CustomerState;

export function rowToCustomer(row: CustomerRow): Customer {
  const data = JSON.parse(row.data) as Partial<Stored>;
  return {
    ...fieldDefaults,
    ...stateDefaults,
    ...data,
    uuid: row.id,
    public_id: row.public_id,
    number: Number(row.number),
    alias: row.alias,
    external_id: row.external_id,
    version: Number(row.version),
    created_at: row.created_at,
    updated_at: row.updated_at,
  } as Customer;
}

export function customerToRow(customer: Customer, tenantId: string): CustomerRow {
  const { uuid, public_id, number, alias, external_id, version, created_at, updated_at, ...data } = customer;
  return {
    id: uuid,
    tenant_id: tenantId,
    public_id,
    number,
    alias,
    external_id,
    version,
    data: JSON.stringify(data satisfies Stored),
    created_at,
    updated_at,
  };
}
