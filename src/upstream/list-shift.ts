import type { ClientPage } from '../contract/client.ts';
import { GatewayError } from '../contract/errors.ts';
import type { ImportRow } from '../store/index.ts';

// Lists paged by position (Meteroid's and Bigcapital's `?page=`) move under a walk: a customer
// deleted on a page already read moves every later one a place back, so the first of the next page
// slides onto the page before and the walk never sees it; a create moves them the other way in a
// list newest first (Meteroid's own order, `created_at.desc`), which only shows some twice. The
// walk reads the page before again after each page and checks that nothing moved between them
// (PagedWalk: the import, src/upstream/import.ts; reconcile, src/outbox/reconcile.ts; the look-up
// of a lost create, src/upstream/marker.ts). Lists paged by cursor (`starting_after`, Zenskar's
// cursor) do not move and show no total: they are not checked.

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

/** Times a list paged by position may move under a walk before it stops (a bad_gateway). */
export const maxMoves = 20;

/**
 * One step of a walk: `page`, the customers to take (the page read, or the page before read again
 * after the list moved: what moved onto it; customers already taken may be among them); `lost`,
 * the list moved too far and the walk starts again at the first page (what it took is met again).
 * `read`: the page read at the walk's position, before any check.
 */
export type WalkStep<P extends ClientPage = ClientPage> =
  | { readonly kind: 'page' | 'moved'; readonly page: P; readonly read: P }
  | { readonly kind: 'lost'; readonly read: P };

/**
 * A walk of a customer list, page by page, checked against the list moving under it (shiftOf).
 * `token`/`anchor` are where it stands (what a checkpoint keeps); `done` once the last page is taken.
 * A cursor that comes back is a list that never ends: refused rather than walked for ever.
 */
export class PagedWalk<P extends ClientPage = ClientPage> {
  #token: string | undefined;
  #anchor: Anchor | undefined;
  #done = false;
  #again = false;
  #moves = 0;
  #recent: string[][] = [];
  readonly #asked = new Set<string>();
  readonly #read: (token: string | undefined) => Promise<P>;

  constructor(read: (token: string | undefined) => Promise<P>, from: { token?: string | undefined; anchor?: Anchor | undefined } = {}) {
    this.#read = read;
    this.#token = from.token;
    this.#anchor = from.anchor;
  }

  get token(): string | undefined {
    return this.#token;
  }
  get anchor(): Anchor | undefined {
    return this.#anchor;
  }
  get done(): boolean {
    return this.#done;
  }

  async next(): Promise<WalkStep<P>> {
    const token = this.#token;
    if (token !== undefined && !this.#again) {
      if (this.#asked.has(token)) throw new GatewayError('bad_gateway', `The upstream's list came back to page ${token}: it never ends.`);
      this.#asked.add(token);
    }
    this.#again = false;
    const read = await this.#read(token);
    const anchor = this.#anchor;
    if (read.total !== undefined && anchor !== undefined) {
      // The page before, read again: did the list move between the two?
      const before = await this.#read(anchor.token);
      const shift = shiftOf(anchor, read, before, new Set(this.#recent.flat()));
      if (shift !== 'same') {
        if (++this.#moves > maxMoves) {
          throw new GatewayError(
            'bad_gateway',
            `The upstream's list kept moving while it was read (customers created or deleted there ${maxMoves} times between two pages); run it again.`,
          );
        }
        if (shift === 'lost') {
          this.#token = undefined;
          this.#anchor = undefined;
          this.#asked.clear();
          this.#recent = [];
          return { kind: 'lost', read };
        }
        this.#anchor = anchorOf(anchor.token, before);
        this.#recent = [this.#recent.at(-1) ?? [], before.customers.map((c) => c.id)];
        this.#again = true;
        return { kind: 'moved', page: before, read };
      }
    }
    this.#recent = [this.#recent.at(-1) ?? [], read.customers.map((c) => c.id)];
    this.#moves = 0;
    this.#done = read.next === undefined;
    this.#anchor = this.#done ? undefined : anchorOf(token, read);
    this.#token = read.next;
    return { kind: 'page', page: read, read };
  }
}
