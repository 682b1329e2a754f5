import { type Customer, type CustomerFields, type CustomerState, fieldDefaults, stateDefaults } from '../../schemas/index.ts';
import type { CustomerRow } from '../store/index.ts';

// alias and external_id live in their own columns (unique per tenant); everything else in `data`.
type Stored = Omit<CustomerFields, 'alias' | 'external_id'> & CustomerState;

// Every key a customer has, in the order rowToCustomer's spread gives them. V8 is very slow (about
// 100x) at adding new keys to an object made by spreading a large one, so the hot path clones
// this template, whose keys are all present already, and only overwrites them.
const template: Readonly<Record<string, unknown>> = {
  ...fieldDefaults,
  ...stateDefaults,
  uuid: '',
  public_id: '',
  number: 0,
  version: 0,
  created_at: '',
  updated_at: '',
};

function fitsTemplate(data: object): boolean {
  // Keys the template lacks would land in a different place; `__proto__` must stay an own key.
  for (const key of Object.keys(data)) if (!(key in template) || key === '__proto__') return false;
  return true;
}

/**
 * Rows stored before the canonical defaults (docs/seams.md) may hold null where a value is now
 * always present: they read as the default, as every dialect shows them.
 */
function withDefaults(data: Partial<Stored>): Partial<Stored> {
  if (data.currency === null) data.currency = fieldDefaults.currency;
  if (data.customer_type === null) data.customer_type = fieldDefaults.customer_type;
  return data;
}

export function rowToCustomer(row: CustomerRow): Customer {
  const data = withDefaults(JSON.parse(row.data) as Partial<Stored>);
  if (fitsTemplate(data)) {
    const customer: Record<string, unknown> = { ...template };
    for (const key of Object.keys(data)) customer[key] = data[key as keyof Stored];
    customer.uuid = row.id;
    customer.public_id = row.public_id;
    customer.number = Number(row.number);
    customer.alias = row.alias;
    customer.external_id = row.external_id;
    customer.version = Number(row.version);
    customer.created_at = row.created_at;
    customer.updated_at = row.updated_at;
    return customer as unknown as Customer;
  }
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
    livemode: data.livemode ? 1 : 0,
    deleted_at: null,
  };
}
