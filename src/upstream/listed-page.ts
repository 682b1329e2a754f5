import type { ClientPage } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { checkRemoteId, remoteIdName, remoteIdProblem } from './remote-ids.ts';

// A page of a provider's customer list as an import or a reconciliation reads it (client.ts
// listPage with `screen`): what is wrong in one customer is that customer's, named in `refused`.

/** A page of a provider's list, with the customers of it this gateway cannot store as the provider shows them. */
export interface ListedPage extends ClientPage {
  /** By id at the provider: what is wrong (empty unless the page was read with `screen`). */
  readonly refused: ReadonlyMap<string, string>;
}

/**
 * A screened page with each customer whose id cannot be kept as a link (remote-ids.ts) under a
 * name that can, refused for that: its id is the one thing no check of its values may pass. A
 * name that is another customer's id on the page is caught as a customer named twice
 * (list-pages.ts checkedPage). An empty id names no customer, and a next page named by a NUL
 * (a list paged by cursor, after its last customer) cannot be kept as the import's checkpoint:
 * the page is refused then, as before.
 */
export function namedSafely(page: ClientPage, flagged: Map<string, string>): ListedPage {
  if (page.next?.includes('\u0000')) {
    throw new GatewayError(
      'bad_gateway',
      "The upstream's list page names its next page by a token holding a NUL character (its last customer's id), which this gateway cannot keep.",
    );
  }
  const refused = new Map(flagged);
  const customers = page.customers.map((customer) => {
    if (customer.id.length === 0) checkRemoteId(customer.id);
    const problem = remoteIdProblem(customer.id);
    if (problem === undefined) return customer;
    const { name, how } = remoteIdName(customer.id);
    refused.delete(customer.id);
    refused.set(name, `${problem} (${how})`);
    return { ...customer, id: name };
  });
  return { ...page, customers, refused };
}
