import type { ClientPage } from '../contract/client.ts';
import type { ImportRow } from '../store/index.ts';

// Lists paged by position (Meteroid's and Bigcapital's `?page=`) move under a walk: a customer
// deleted on a page already read moves every later one a place back, so the first of the next page
// slides onto the page before and the walk never sees it; a create moves them the other way in a
// list newest first (Meteroid's own order, `created_at.desc`), which only shows some twice. The
// import reads the page before again after each page and checks that nothing moved between them
// (src/upstream/import.ts). Lists paged by cursor (`starting_after`, Zenskar's cursor) do not move
// and show no total: they are not checked.

/** The last page a walk read: how to ask for it again, its last customer, and the list's count then. */
export interface Anchor {
  readonly token: string | undefined;
  readonly last: string;
  readonly total: number;
}

/**
 * What moved between the anchor page and `page` (the next one), the anchor page read again
 * afterwards as `again`; `recent`: the customers of the last two pages stored.
 * - `same`: nothing moved (the count is the same throughout and the anchor page ends where it
 *   did): a create adds to the count and a delete takes from it, and a delete before the page's
 *   end moves its last customer;
 * - `moved`: the list moved by less than a page: `again` holds what moved onto the anchor page
 *   (store it, then read the next page again), or only customers stored already (moved down);
 * - `lost`: it moved further, or the anchor customer is gone: walk again from the first page.
 */
export function shiftOf(anchor: Anchor, page: ClientPage, again: ClientPage, recent: ReadonlySet<string>): 'same' | 'moved' | 'lost' {
  const ids = again.customers.map((c) => c.id);
  if (page.total === anchor.total && again.total === anchor.total && ids.at(-1) === anchor.last) return 'same';
  if (ids.includes(anchor.last)) return 'moved';
  if (ids.length > 0 && ids.every((id) => recent.has(id))) return 'moved';
  return 'lost';
}

export const anchorOf = (token: string | undefined, page: ClientPage): Anchor | undefined => {
  const last = page.customers.at(-1)?.id;
  return page.total === undefined || last === undefined ? undefined : { token, last, total: page.total };
};

/** The checkpoint's anchor (the first page's token is kept as ''). */
export const anchorIn = (row: ImportRow): Anchor | undefined =>
  row.anchor_last === null || row.anchor_total === null
    ? undefined
    : {
        token: row.anchor_token === '' || row.anchor_token === null ? undefined : row.anchor_token,
        last: row.anchor_last,
        total: Number(row.anchor_total),
      };

export const anchorColumns = (anchor: Anchor | undefined) => ({
  anchor_token: anchor ? (anchor.token ?? '') : null,
  anchor_last: anchor?.last ?? null,
  anchor_total: anchor?.total ?? null,
});
