import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { refusalHeading, refusalTable, withRefusalTable } from '../bin/refusal-table.ts';

// The per-pair refusal tables are generated from the client halves' cannotCarry declarations
// (bin/refusal-table.ts); a committed copy that differs is stale.

const pages = [['migrating.md', undefined] as const, ...Object.keys(dialects).map((n) => [`dialects/${n}.md`, n] as const)];

describe('per-pair refusal tables', () => {
  it.each(pages)('docs/%s holds the table the code generates (run `npm run docs` when this fails)', (file, only) => {
    const committed = readFileSync(new URL(`../docs/${file}`, import.meta.url), 'utf8');
    expect(committed).toBe(withRefusalTable(committed, refusalTable(only), refusalHeading));
  });

  it("names a Meteroid upstream's missing clear in each client's own names", () => {
    const table = refusalTable();
    expect(table).toContain('| zenskar | meteroid | a clear of `customer_name` | the meteroid API has no form for this clear |');
    expect(table).toContain('| wooshpay | meteroid | a clear of `email` | the meteroid API has no form for this clear |');
    expect(table).toContain('| meteroid | zenskar | nothing |');
  });

  it('names a whole-address clear of a dialect that spreads the address over parameters by all of them', () => {
    // Bigcapital's billingAddress1/2/City/…: Meteroid cannot clear members Bigcapital has no
    // parameter for (line3), and naming billingAddress1 instead read as a clear of that line alone.
    const table = refusalTable();
    expect(table).toContain(
      '| bigcapital | meteroid | a clear of `billingAddress1/2/City/State/Country/Zipcode/Email/Phone` | the meteroid API has no form for this clear |',
    );
    expect(table).not.toContain('| bigcapital | meteroid | a clear of `billingAddress1` |');
  });

  it('lists no member change the proxy carries: it sends the whole object the write leaves', () => {
    // A Wooshpay client's `address[city]=` on a customer with a street, a Bigcapital client's
    // shippingAddressCity alone: Meteroid and Wooshpay take the whole object, and the proxy sends it.
    const table = refusalTable();
    expect(table).not.toContain('| wooshpay | meteroid | a clear of `address.city` alone |');
    expect(table).not.toContain('| zenskar | meteroid | a clear of `address` alone |');
    expect(table).toContain('| wooshpay | meteroid | a clear of `address` |');
    expect(table).toContain('| bigcapital | wooshpay | nothing |');
  });
});
