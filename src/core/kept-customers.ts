import type { Customer } from '../../schemas/index.ts';
import { BoundedMap } from '../contract/bounded-map.ts';
import type { CustomerRow } from '../store/index.ts';
import { rowToCustomer } from './customer-row.ts';

// The customers of recently retrieved rows, one object per unchanged row: a retrieve of a
// customer nobody changed gets the object the last retrieve made, and with it the answer already
// rendered from it (src/http/rendered-reads.ts). An entry is used only when every column of the
// row read now equals the row it was made from, so a change by any process, on any backend,
// makes a new object. Bounded: at most `size` customers, the least recently used dropped first.
// The objects are shared between requests: the read path only renders them, never changes them.

/** Every column the customer is made from; a column added to the row must be listed here to compile. */
const compared = {
  id: true,
  tenant_id: true,
  public_id: true,
  number: true,
  alias: true,
  external_id: true,
  version: true,
  data: true,
  created_at: true,
  updated_at: true,
  livemode: true,
  deleted_at: true,
} as const satisfies Record<keyof CustomerRow, true>;
const columns = Object.keys(compared) as (keyof CustomerRow)[];

function sameRow(a: CustomerRow, b: CustomerRow): boolean {
  if (a === b) return true;
  for (const column of columns) if (a[column] !== b[column]) return false;
  return true;
}

export class KeptCustomers {
  readonly #entries: BoundedMap<string, { readonly row: CustomerRow; readonly customer: Customer }>;

  constructor(size: number) {
    this.#entries = new BoundedMap(size);
  }

  of(row: CustomerRow): Customer {
    if (!this.#entries.enabled) return rowToCustomer(row);
    const key = `${row.tenant_id}\n${row.id}`;
    const hit = this.#entries.use(key);
    if (hit && sameRow(hit.row, row)) return hit.customer;
    const customer = rowToCustomer(row);
    this.#entries.set(key, { row, customer });
    return customer;
  }
}
