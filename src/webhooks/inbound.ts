import * as v from 'valibot';
import type { CustomerFields } from '../../schemas/index.ts';
import { applyPatch, rowToCustomer } from '../core/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { comparedFields, recordComparison, shadowDiff } from '../core/shadow-diff.ts';
import { expectedAt } from '../outbox/upstream-port.ts';
import type { Store, UpstreamRow } from '../store/index.ts';
import { defaultToleranceSeconds, verifyStandardSignature, verifyStripeSignature } from './sign.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { dialectOf } from '../upstream/client.ts';
import { openWebhookSecret } from '../upstream/inbound-format.ts';
import type { Customers } from '../upstream/customers.ts';
import type { Keyring } from '../upstream/secrets.ts';

// A provider's own events, in (POST /gateway/v1/upstreams/{id}/webhook): a dashboard edit at the
// provider reaches the gateway. The provider cannot hold a tenant's credentials, so the event is
// placed by the upstream id in the path and trusted only under the secret given for it. In proxy
// mode the provider is the system of record and the local copy takes its state; for a mirror or a
// shadow the local copy is, and the change is recorded as drift beside the shadow's comparisons.

export type InboundOutcome = 'applied' | 'drift' | 'stale' | 'duplicate' | 'ignored';

export interface InboundResult {
  readonly event: string;
  readonly outcome: InboundOutcome;
  /** The local customer the event was about, when there is one. */
  readonly customer: string | null;
  /** The upstream's tenant: for the access log, not for the provider's answer. */
  readonly tenantId: string;
}

export interface InboundRequest {
  readonly upstreamId: string;
  readonly header: (name: string) => string | undefined;
  readonly body: string;
}

export interface InboundDeps {
  readonly store: Store;
  /** The dialects an upstream row may name (the registry the entry hands down). */
  readonly dialects: readonly AnyDialect[];
  readonly keyring: Keyring;
  readonly customers: Customers;
  readonly now: () => Date;
  readonly toleranceSeconds?: number;
}

/** A forged, unsigned or stale-signed event: the route counts it as a failed authentication. */
export class ForgedEvent extends GatewayError {
  constructor(message: string) {
    super('invalid_request', message, { issues: [{ path: ['signature'], kind: 'value', message }] });
  }
}

// The events that say a customer changed; every other type is acknowledged and left alone.
const customerTypes = ['customer.created', 'customer.updated', 'customer.deleted'] as const;

const StripeEvent = v.object({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(255)),
  type: v.pipe(v.string(), v.maxLength(64)),
  created: v.pipe(v.number(), v.integer()),
  data: v.object({ object: v.record(v.string(), v.unknown()) }),
});
const StandardEvent = v.object({
  type: v.pipe(v.string(), v.maxLength(64)),
  data: v.record(v.string(), v.unknown()),
});

interface Event {
  readonly id: string;
  readonly type: string;
  /** The provider's time of the event, in seconds. */
  readonly created: number;
  readonly object: Record<string, unknown>;
}

const notOurs = 'No upstream with this id takes signed webhooks, or the signature does not match.';

async function verified(deps: InboundDeps, row: UpstreamRow | undefined, req: InboundRequest): Promise<Event> {
  const format = row && deps.dialects.find((d) => d.name === row.dialect)?.client.inboundWebhooks;
  const sealed = row?.webhook_secret;
  // Unknown upstream, no secret, a provider that sends none: one answer, so ids cannot be probed.
  if (!row || !format || typeof sealed !== 'string') throw new ForgedEvent(notOurs);
  const secret = await openWebhookSecret(deps.keyring, { ...row, webhook_secret: sealed });
  const now = Math.floor(deps.now().getTime() / 1000);
  const tolerance = deps.toleranceSeconds;
  const checked =
    format === 'stripe'
      ? await verifyStripeSignature(secret, req.header('stripe-signature'), req.body, now, tolerance)
      : await verifyStandardSignature(
          secret,
          { id: req.header('webhook-id'), timestamp: req.header('webhook-timestamp'), signature: req.header('webhook-signature') },
          req.body,
          now,
          tolerance,
        );
  if ('refused' in checked) throw new ForgedEvent(checked.refused === 'No signature matches the payload.' ? notOurs : checked.refused);
  let json: unknown;
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new GatewayError('malformed_body', 'The event is not JSON.');
  }
  if (format === 'stripe') {
    const event = v.safeParse(StripeEvent, json);
    if (!event.success) throw new GatewayError('invalid_request', `Not a Stripe event: ${event.issues[0].message}`);
    // `created` is when the event happened, in Unix seconds (https://docs.stripe.com/api/events/object);
    // it is signed after that (t=, later again on each retry). One later than its signature (past
    // the tolerance, for the provider's clocks) or before 1970 is refused, not clamped: taken in,
    // `created: 1e20` left every later event of the customer stale.
    const created = event.output.created;
    if (created < 0 || created > checked.timestamp + (tolerance ?? defaultToleranceSeconds)) {
      const message = `The event's created (${created}) must be a Unix time in seconds, no later than its signature (t=${checked.timestamp}).`;
      throw new GatewayError('invalid_request', message, { issues: [{ path: ['created'], kind: 'value', message }] });
    }
    return { id: event.output.id, type: event.output.type, created, object: event.output.data.object };
  }
  const event = v.safeParse(StandardEvent, json);
  if (!event.success) throw new GatewayError('invalid_request', `Not a Standard Webhooks payload: ${event.issues[0].message}`);
  // Standard Webhooks signs webhook-id and webhook-timestamp: they are the event's id and time.
  return { id: req.header('webhook-id') ?? '', type: event.output.type, created: checked.timestamp, object: event.output.data };
}

/** The provider's time of the local copy: its newest event taken in, or the newest local write (sent there first). */
async function localTime(store: Store, row: UpstreamRow, remoteId: string, customerId: string | undefined, marker: string) {
  const inbound = (await store.upstreams.lastInbound(row.id, remoteId)) ?? 0;
  if (!customerId) return inbound;
  const written = (await store.listEvents(row.tenant_id, customerId))
    .filter((e) => e.credential_id !== marker)
    .reduce((latest, e) => Math.max(latest, Math.floor(Date.parse(e.created_at) / 1000)), 0);
  return Math.max(inbound, written);
}

export async function receiveUpstreamEvent(deps: InboundDeps, req: InboundRequest): Promise<InboundResult> {
  const { store } = deps;
  const row = await store.upstreams.findById(req.upstreamId);
  const event = await verified(deps, row, req);
  if (!row) throw new ForgedEvent(notOurs);
  const seen = await store.upstreams.inboundEvent(row.id, event.id);
  if (seen) return { event: event.id, outcome: 'duplicate', customer: null, tenantId: row.tenant_id };
  const dialect = dialectOf(deps.dialects, row.dialect);
  const record = async (outcome: InboundOutcome, remoteId: string, customer: string | null): Promise<InboundResult> => {
    const fresh = await store.upstreams.recordInbound({
      upstream_id: row.id,
      event_id: event.id,
      tenant_id: row.tenant_id,
      remote_id: remoteId,
      type: event.type,
      event_created: event.created,
      outcome,
      received_at: deps.now().toISOString(),
    });
    return { event: event.id, outcome: fresh ? outcome : 'duplicate', customer, tenantId: row.tenant_id };
  };
  if (!customerTypes.some((t) => t === event.type)) return record('ignored', '', null);
  const parsed = dialect.client.parse(event.object);
  // A delete needs only the id: Stripe sends the whole customer as it was, a stub names it too.
  const stub = event.type === 'customer.deleted' && typeof event.object.id === 'string' ? event.object.id : undefined;
  if (isGatewayError(parsed) && stub === undefined)
    throw new GatewayError('invalid_request', `The event's customer does not parse as ${dialect.name}'s: ${parsed.message}`);
  const remoteId = stub ?? (parsed as Exclude<typeof parsed, GatewayError>).id;
  const link = await store.upstreams.findLinkByRemote(row.tenant_id, row.id, remoteId);
  const customerId = link?.customer_id ?? null;
  const marker = `upstream-webhook:${row.id}`;
  if (event.created < (await localTime(store, row, remoteId, link?.customer_id, marker))) return record('stale', remoteId, customerId);
  const principal: Principal = { tenantId: row.tenant_id, credentialId: marker, livemode: false };
  if (event.type === 'customer.deleted') return takeDelete(deps, row, event.id, principal, remoteId, customerId, record);
  if (isGatewayError(parsed)) throw parsed;
  if (row.mode === 'proxy') {
    const customer = await deps.customers.takeIn(principal, row, { id: parsed.id, patch: parsed.patch });
    return record('applied', parsed.id, customer.uuid);
  }
  // A mirror or a shadow: what the provider now shows, against what the local copy would show there.
  const found = link && (await store.findCustomer(row.tenant_id, 'uuid', link.customer_id));
  if (!found) return record('ignored', parsed.id, null);
  const local = rowToCustomer(found);
  const fields = local as CustomerFields;
  const there = applyPatch(fields, parsed.patch);
  const diffs = shadowDiff(expectedAt(dialect, local.uuid, fields, there), there, comparedFields(dialect));
  await recordComparison(
    store,
    { tenantId: row.tenant_id, upstream: row, customerId: local.uuid, version: local.version },
    diffs,
    event.id,
    deps.now(),
  );
  return record('drift', parsed.id, local.uuid);
}

/** A provider's delete: proxy deletes the local copy; a mirror or shadow keeps it and records the drift. */
async function takeDelete(
  deps: InboundDeps,
  row: UpstreamRow,
  eventId: string,
  principal: Principal,
  remoteId: string,
  customerId: string | null,
  record: (outcome: InboundOutcome, remoteId: string, customer: string | null) => Promise<InboundResult>,
): Promise<InboundResult> {
  if (row.mode === 'proxy') {
    const done = await deps.customers.takeDelete(principal, row, remoteId);
    return record(done?.deleted ? 'applied' : 'ignored', remoteId, done?.customer.uuid ?? null);
  }
  const found = customerId && (await deps.store.findCustomer(row.tenant_id, 'uuid', customerId));
  if (!found || found.deleted_at !== null) return record('ignored', remoteId, customerId);
  await recordComparison(
    deps.store,
    { tenantId: row.tenant_id, upstream: row, customerId: found.id, version: Number(found.version) },
    [{ field: 'deleted', local: false, upstream: true }],
    eventId,
    deps.now(),
  );
  return record('drift', remoteId, found.id);
}
