import type { Principal } from '../contract/dialect.ts';
import type { CustomerRow } from '../store/index.ts';

// Retrieve answers, rendered once and sent again while the customer's row is the same. A render
// is a pure function of the row, the dialect, the caller (tenant, credential, mode) and the
// `expand[]` asked for (src/contract/dialect.ts, `render`), so an entry is found by all of those
// and used only when every column of the row it was rendered from equals the row read now: a
// changed customer, on any backend and from any process, is rendered afresh. Bounded: at most
// `size` answers, the least recently used dropped first.

/** Every column a render can depend on; a column added to the row must be listed here to compile. */
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

export class RenderedReads {
  readonly #size: number;
  readonly #entries = new Map<string, { readonly row: CustomerRow; readonly body: string }>();

  constructor(size: number) {
    this.#size = size;
  }

  /** The answer for `row` as `render` gives it, from the last render of the same row when there is one. */
  body(dialect: string, principal: Principal, expand: readonly string[], row: CustomerRow, render: () => string): string {
    if (this.#size <= 0) return render();
    const key = `${dialect}\n${principal.tenantId}\n${principal.credentialId}\n${principal.livemode}\n${expand.join(',')}\n${row.id}`;
    const hit = this.#entries.get(key);
    if (hit && sameRow(hit.row, row)) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.body;
    }
    const body = render();
    this.#entries.delete(key);
    if (this.#entries.size >= this.#size) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { row, body });
    return body;
  }
}
