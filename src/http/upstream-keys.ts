import type { Principal } from '../contract/credentials.ts';
import { GatewayError } from '../contract/errors.ts';
import type { AttemptScope, Store } from '../store/index.ts';
import { hasLiveMode } from '../store/tenant-admin.ts';
import { seesUpstreamsWhole } from '../upstream/base-url-shown.ts';

// Which keys manage a tenant's upstreams over the gateway's API (docs/security.md, "Upstreams and
// key modes"). An upstream is not of a mode: a mirror or shadow is sent every customer's changes
// and a proxy every write, live customers' too. So, as a test key cannot make a live webhook
// endpoint (docs/webhooks.md), it cannot add, remove or re-point an upstream, change its mode or
// its webhook secret, once the tenant has anything live: a live credential or a live customer.
// Until then the test keys are all the tenant has (`tenant create` without --live), no live data
// exists to direct anywhere, and the documented walk-throughs run with them. A test key that may
// not change them is not shown what only a change needs either (src/upstream/base-url-shown.ts).

/** Refuses a test key the change `what` while the tenant has live credentials or customers. */
export async function refuseTestKeyOverLive(store: Store, principal: Principal, what: string): Promise<void> {
  if (await seesUpstreamsWhole(store, principal.tenantId, principal.livemode)) return;
  throw new GatewayError(
    'forbidden',
    `A test key cannot ${what}: an upstream is sent every customer's data, live customers' too, and this tenant has live credentials or customers. Use a live key.`,
  );
}

/**
 * The create attempts a key may see (their `sent` fields are a customer's): those of its mode's
 * customers, and of its mode's keys where the customer is not stored here (a client's create whose
 * answer was lost). Such a record from before its mode was kept (migration 0057) is of no known
 * mode: a live key sees it, a test key only while the tenant has nothing live.
 */
export async function attemptScope(store: Store, principal: Principal): Promise<AttemptScope | undefined> {
  if (principal.livemode) return { livemode: true, unstored: true };
  return (await hasLiveMode(store, principal.tenantId)) ? { livemode: false, unstored: false } : undefined;
}
