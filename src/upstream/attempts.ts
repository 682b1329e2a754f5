import { type Customer, type CustomerFields, fieldDefaults, fieldNames } from '../../schemas/index.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { heldUntil, type Store } from '../store/index.ts';
import { type Pushed, requestFor, type Upstream, type UpstreamClient } from './client.ts';
import { createMarker, findSent, maxLookupReads, recoverCreate, uncertain } from './marker.ts';

// A create sent on behalf of a customer the upstream has no link for (a proxied write of a
// customer from before the upstream was added, a mirror's first delivery) is recorded before it
// leaves (migration 0026, src/store/create-attempts.ts). While the record stands, the answer was
// never stored: the next write of that customer, with or without the client's Idempotency-Key,
// first finds what the attempt left there. The record goes with the link
// (UpstreamRepository.link) or when the provider refused the create.
//
// One request at a time owns a customer's record (migration 0028): it is inserted only where none
// stands, or taken over once its owner let go (its send failed), held it past its time, or its
// owner's process is known dead (migration 0040: the claim names the process, whose heartbeat row
// ran past its `dead_after`, instance-heartbeat.ts). A second write of the customer meanwhile
// sends nothing: it waits, bounded, for the owner's link (proxy.ts).

/** A recorded create: when it was about to be sent, the key it was forwarded with, what it carried. */
export interface CreateAttempt {
  readonly at: string;
  readonly key: string | undefined;
  readonly sent: CustomerFields;
  /** Until when a request sending it holds it (ISO 8601), if one does. */
  readonly claimedUntil?: string | undefined;
  /** When that request's process is dead unless heard from (its heartbeat row's `dead_after`). */
  readonly ownerDeadAfter?: string | undefined;
  /** The mode of the key that sent it: whose the record is when its customer is not stored here (a client's lost create). */
  readonly livemode?: boolean | undefined;
}

/** The process a claim names (instance-heartbeat.ts). */
export interface ClaimOwner {
  /** Its row in gateway_instances. */
  readonly id: string;
  /** False once its renewals stopped landing long enough that others may take it for dead: it sends no create. */
  live(now?: number): boolean;
}

/** The claim a request holds on a customer's record while it recovers or sends the create. */
export interface Claim {
  readonly id: string;
  readonly until: string;
  /** The process holding it (gateway_instances.id); null where none keeps a heartbeat (Workers). */
  readonly owner: string | null;
}

/**
 * How long a claim holds at most before it is taken to be a crashed owner's: the owner's look-up
 * (up to maxLookupReads list requests) and its create, each bounded by the upstream timeout, and a
 * margin. A claim whose owner process is known dead goes sooner (heldByOther).
 */
export function claimFor(timeoutMs: number, owner: string | null, now = Date.now()): Claim {
  return { id: crypto.randomUUID(), until: new Date(now + (maxLookupReads + 2) * timeoutMs + 5_000).toISOString(), owner };
}

/** Someone else is sending this customer's create now: its claim stands, and neither it nor its process ran out. */
export function heldByOther(attempt: CreateAttempt, now = Date.now()): boolean {
  const at = new Date(now).toISOString();
  return heldUntil({ claimed_until: attempt.claimedUntil ?? null, owner_dead_after: attempt.ownerDeadAfter ?? null }, at) !== null;
}

export async function attemptOf(store: Store, upstream: Upstream, customerId: string): Promise<CreateAttempt | undefined> {
  const row = await store.attempts.find(upstream.tenantId, upstream.id, customerId);
  if (!row) return undefined;
  const sent = { ...fieldDefaults, ...(JSON.parse(row.sent) as Partial<CustomerFields>) };
  return {
    at: row.attempted_at,
    key: row.idempotency_key ?? undefined,
    sent,
    claimedUntil: row.claimed_until ?? undefined,
    ownerDeadAfter: row.owner_dead_after ?? undefined,
    livemode: row.livemode === null ? undefined : Number(row.livemode) === 1,
  };
}

function attemptRow(upstream: Upstream, customerId: string, attempt: CreateAttempt, claim: Claim | undefined) {
  return {
    upstream_id: upstream.id,
    customer_id: customerId,
    tenant_id: upstream.tenantId,
    attempted_at: attempt.at,
    idempotency_key: attempt.key ?? null,
    sent: JSON.stringify(Object.fromEntries(fieldNames.map((f) => [f, attempt.sent[f]]))),
    claim_id: claim?.id ?? null,
    claimed_until: claim?.until ?? null,
    claim_owner: claim?.owner ?? null,
    livemode: attempt.livemode === undefined ? null : attempt.livemode ? 1 : 0,
  };
}

/**
 * Records the attempt. With a claim taken over from an earlier record (`owned`), it is rewritten
 * while this claim still holds it; a new claim inserts it only where none stands. False when
 * another request got there first, or took it over from this one (taken for a dead process's).
 */
export async function claimAttempt(
  store: Store,
  upstream: Upstream,
  customerId: string,
  attempt: CreateAttempt,
  claim: { readonly claim: Claim; readonly owned: boolean },
): Promise<boolean> {
  const row = attemptRow(upstream, customerId, attempt, claim.claim);
  return claim.owned ? store.attempts.rewrite(row) : store.attempts.claimNew(row);
}

/** Takes over a standing record no one holds now (released, or its owner's time ran out). */
export function takeAttempt(store: Store, upstream: Upstream, customerId: string, claim: Claim): Promise<boolean> {
  return store.attempts.take(upstream.tenantId, upstream.id, customerId, { ...claim, now: new Date().toISOString() });
}

/** Lets go of a claim after a failure: the next write of the customer recovers what it may have left. */
export async function releaseAttempt(store: Store, upstream: Upstream, customerId: string, claim: Claim): Promise<void> {
  await store.attempts.release(upstream.tenantId, upstream.id, customerId, claim.id);
}

/**
 * The mode a create recorded for a stored customer is listed by (src/store/create-attempts.ts):
 * its row's, not its fields' (a customer from before modes were recorded reads `livemode: false`
 * there, and is of no mode: undefined). A mirror's delivery records its create with it.
 */
export async function customerModeOf(store: Store, tenantId: string, customerId: string): Promise<boolean | undefined> {
  const row = await store.findCustomer(tenantId, 'uuid', customerId);
  return row?.livemode === null || row?.livemode === undefined ? undefined : Number(row.livemode) === 1;
}

export async function recordAttempt(store: Store, upstream: Upstream, customerId: string, attempt: CreateAttempt): Promise<void> {
  await store.attempts.record(attemptRow(upstream, customerId, attempt, undefined));
}

/**
 * The record goes once the provider has definitively refused the create (it holds nothing); a
 * failure that leaves it possibly holding the customer keeps it. A request sending under a claim
 * drops it only while it still holds that claim (the fence `rewrite` has). Rethrows the error.
 */
export async function settleRefused(store: Store, upstream: Upstream, customerId: string, error: unknown, claim?: Claim): Promise<never> {
  if (isGatewayError(error) && !uncertain.has(error.code)) await store.attempts.drop(upstream.tenantId, upstream.id, customerId, claim?.id);
  throw error;
}

/**
 * The Idempotency-Key a create on behalf of a customer is forwarded with, where the provider takes
 * one: derived from the client's key when there is one (its retry gets the same), else a new one,
 * kept in the record for the next write of the customer.
 */
export function createKeyFor(upstream: Upstream, requestKey: string | undefined): string | undefined {
  if (!upstream.dialect.idempotency) return undefined;
  return requestKey !== undefined ? `${requestKey}:create` : `custgate-create-${crypto.randomUUID()}`;
}

/**
 * The customer a recorded create left at the provider, or undefined when it holds none. A provider
 * that takes an Idempotency-Key gets the recorded create again, byte for byte under its key: it
 * answers what it answered the first time (or creates it now, never having got it). The body is
 * the recorded one, not the current write's: a key reused with other parameters is refused
 * (https://docs.stripe.com/api/idempotent_requests), and what still differs is sent after, as an
 * update (unless the record is older than the provider keeps keys: then its list is looked at
 * first, as a forgotten key would create it again). A provider with a marker is asked for it; one with neither is asked for its list
 * (findSent), where a customer made before the attempt is not it.
 */
export async function recoverAttempt(
  client: UpstreamClient,
  store: Store,
  upstream: Upstream,
  current: Customer,
  attempt: CreateAttempt,
  claim?: Claim,
): Promise<Pushed | undefined> {
  const ttl = upstream.dialect.client.idempotencyKeyTtlMs;
  // The provider may have forgotten the key: a replay would create again, so its list is looked at first.
  const forgotten = ttl !== undefined && Date.parse(attempt.at) + ttl <= Date.now();
  if (forgotten) {
    const found = await findSent(client, store, upstream, attempt.sent, attempt.at);
    if (found) return found;
  }
  if (upstream.dialect.idempotency && attempt.key !== undefined) {
    const request = requestFor(upstream, undefined, { patch: {}, current: { ...current, ...attempt.sent }, createKey: attempt.key });
    return client.send(upstream, request, true).catch((error: unknown) => settleRefused(store, upstream, current.uuid, error, claim));
  }
  const marker = createMarker(upstream.dialect, current.uuid, attempt.sent);
  return recoverCreate(client, store, upstream, marker, attempt.sent, attempt.at);
}

/** Another request inserted the customer's record first: nothing was sent. */
export class Contended extends Error {}

/** How long a second write of a customer waits for another's create to be linked, and how often it looks. */
const maxWaitMs = 5_000;
const pollMs = 50;

/**
 * Waits while another request creates this customer at the upstream: `linked` once its link is
 * stored (the write goes as an update), `free` once it let go without one or its record went (this
 * write starts over and recovers what it left, when `canRetry`). Past the wait, the client's own
 * retryable conflict, as a lock Stripe could not take (https://docs.stripe.com/error-low-level).
 */
export async function awaitOwner(
  store: Store,
  upstream: Upstream,
  customerId: string,
  options: { readonly timeoutMs: number; readonly canRetry: boolean; readonly stored: () => Promise<boolean> },
): Promise<'linked' | 'free'> {
  const { canRetry } = options;
  const until = Date.now() + Math.min(options.timeoutMs, maxWaitMs);
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    // Linked and its write stored here: an update now comes after it, at the provider and here.
    if (await store.upstreams.findLink(upstream.tenantId, upstream.id, customerId)) {
      if (await options.stored()) return 'linked';
      continue;
    }
    const attempt = await attemptOf(store, upstream, customerId);
    if (canRetry && (attempt === undefined || !heldByOther(attempt))) return 'free';
  }
  throw new GatewayError(
    'conflict',
    `Another request is creating this customer at the ${upstream.dialect.name} upstream now; nothing was changed. Retry in a moment.`,
  );
}
