// A Stripe-like customer list of `pages` pages of `perPage` customers, for import tests: the cursor
// (`starting_after`) is the previous page's last id, which names its page (cus_Edge<page>x<i>).
// No runtime imports: the workerd tests (test/workers) use it as the Node ones do.

/** The list page a `GET /v1/customers` with these query parameters answers. */
export function stripeLikePage(query: URLSearchParams, pages: number, perPage: number) {
  const after = query.get('starting_after');
  const page = after === null ? 0 : Number(/^cus_Edge(\d+)x/.exec(after)?.[1]) + 1;
  const data = Array.from({ length: perPage }, (_, i) => ({
    id: `cus_Edge${page}x${i}`,
    object: 'customer',
    name: `Edge ${page}.${i}`,
    email: null,
    metadata: {},
    created: 1,
    livemode: false,
  }));
  return { object: 'list', data, has_more: page < pages - 1, url: '/v1/customers' };
}
