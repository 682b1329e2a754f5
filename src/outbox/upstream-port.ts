import { type Customer, type CustomerFields, type CustomerPatch, type FieldName, fieldNames } from '../../schemas/index.ts';
import type { GatewayConfig } from '../config.ts';
import { applyPatch, rowToCustomer } from '../core/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { type GatewayError, isGatewayError } from '../contract/errors.ts';
import { consoleLogger, type Logger } from '../logger.ts';
import { type LinkRow, type Store, UniqueViolation } from '../store/index.ts';
import { dialectOf, requestFor, type Upstream, UpstreamClient } from '../upstream/client.ts';
import { type Fetch, retryAfterMs } from '../upstream/http.ts';
import { asCustomer, uncarried } from '../upstream/fidelity.ts';
import { canonicalOf } from '../upstream/refusal.ts';
import { createMarker, findByMarker } from '../upstream/marker.ts';
import { gatewayIdOf } from '../upstream/loop.ts';
import { Upstreams } from '../upstream/tenant-upstreams.ts';

export { createMarker, retryAfterMs };
import { type Keyring, keyringFor } from '../upstream/secrets.ts';
import { Dispatcher } from './dispatcher.ts';
import type { DeliveryOutcome, DeliveryWork, ReplicaTarget, Replication, UpstreamCopy, UpstreamPort } from './types.ts';

// The outbox's port over the tenants' upstreams: the upstreams table, the links and each dialect's
// client half (src/upstream/, #16). It adds what delivery needs beyond one call: the upstream's
// Retry-After, an idempotency key where the provider takes one, and for a provider that takes none
// a way to find a create whose answer was lost instead of creating the customer twice.

/** Names the delivery on every request, so an upstream (or a proxy in the tests) can tell retries apart. */
export const deliveryHeader = 'x-custgate-delivery';

/**
 * A mirror cannot refuse the write (the local store is the system of record, and it committed):
 * what the upstream's client half declares it cannot carry (a clear Meteroid has no form for, a
 * shipping clear in Wooshpay's reference) is left out of the update rather than sent in a form
 * the provider would misread, and named so the delivery records it. The decision is made on the
 * change alone (no `current`): the upstream may still hold the value the local customer cleared.
 * A create needs none of this: leaving a member out is its clear.
 */
export function leaveOutUncarried(dialect: AnyDialect, patch: CustomerPatch): { patch: CustomerPatch; notCarried: string[] } {
  const declared = [...(dialect.client.cannotCarry?.({ patch }) ?? [])];
  if (declared.length === 0) return { patch, notCarried: [] };
  const out: Record<string, unknown> = { ...patch };
  // A member path (address.line2) is left to the client half, which sends no form for it.
  for (const field of declared) if (!field.includes('.')) delete out[field];
  return { patch: out as CustomerPatch, notCarried: declared };
}

/**
 * What the update would leave at another value than the local customer, read as the provider's
 * own API reads it (the proxy's check, src/upstream/fidelity.ts): a body it refuses (Bigcapital's
 * required displayName cleared) or a change it ignores (Bigcapital's currency). A mirror cannot
 * refuse the write, so those fields are left out of the delivery and named, as declared ones are.
 */
async function leaveOutRefused(
  upstream: Upstream,
  link: LinkRow,
  work: DeliveryWork,
  current: Customer,
): Promise<{ patch: CustomerPatch; notCarried: string[] }> {
  const declared = leaveOutUncarried(upstream.dialect, work.patch);
  let patch = declared.patch;
  const notCarried = [...declared.notCarried];
  // Twice at most: leaving a field out cannot make another one refused, but a body refused as a
  // whole names no field and is sent as it is (the provider's answer then says why).
  for (let round = 0; round < 2; round++) {
    const touched = (Object.keys(patch) as FieldName[]).filter((f) => patch[f] !== undefined);
    const request = requestFor(upstream, link, { patch, current });
    const refused = await uncarried(upstream.dialect, 'update', request, { patch, current, after: work.fields, touched });
    const fields = new Set<FieldName>();
    for (const r of refused) {
      // A declared member (address.line2) is already left to the client half, which sends no form for it.
      if (declared.notCarried.includes(r.field)) continue;
      const top = r.field.split('.')[0] ?? '';
      const field = r.upstreamNames ? canonicalOf(upstream.dialect, top) : fieldNames.find((f) => f === top);
      if (field !== undefined && touched.includes(field)) fields.add(field);
    }
    if (fields.size === 0) break;
    const out: Record<string, unknown> = { ...patch };
    for (const f of fields) {
      delete out[f];
      if (!notCarried.includes(f)) notCarried.push(f);
    }
    patch = out as CustomerPatch;
  }
  return { patch, notCarried };
}

const retryable = new Set(['upstream_timeout', 'upstream_unavailable', 'bad_gateway', 'internal', 'rate_limited']);

function outcomeOf(error: unknown, seen: { readonly retryAfter?: number; readonly loop?: boolean }): DeliveryOutcome {
  const message = error instanceof Error ? error.message : String(error);
  // 508: the upstream (another gateway) has already had this request (src/upstream/loop.ts); a retry goes round again.
  if (seen.loop) return { kind: 'rejected', error: `loop_detected: the upstream answered 508 Loop Detected (${message})` };
  const retryAfter = seen.retryAfter;
  if (!isGatewayError(error) || retryable.has(error.code)) {
    return { kind: 'retry', error: message, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  }
  const fields = refusedFields(error);
  const named = fields.length > 0 ? ` [the provider refused: ${fields.join(', ')}]` : '';
  return { kind: 'rejected', error: `${error.code}: ${message}${named}` };
}

/**
 * The parameters a provider's refusal names (its error envelope, read by the client half: Zenskar's
 * `detail[].loc`, Stripe's `param`), in the provider's names: what a dead delivery shows, so the
 * operator knows which value to change (docs/migrating.md, "Dead deliveries").
 */
function refusedFields(error: GatewayError): string[] {
  const paths = (error.details.issues ?? []).map((issue) =>
    issue.path
      .filter((p) => p !== 'body')
      .map(String)
      .join('.'),
  );
  if (error.details.field !== undefined) paths.push(error.details.field);
  return [...new Set(paths.filter((p) => p !== ''))].slice(0, 10);
}

export interface ClientPortOptions {
  /** The dialects an upstream row may name (the registry the entry hands down). */
  readonly dialects: readonly AnyDialect[];
  readonly keyring: Keyring;
  readonly logger?: Logger;
  /** Bound on each call to an upstream. */
  readonly timeoutMs: number;
  /** Largest answer read from an upstream (src/upstream/http.ts). */
  readonly maxAnswerBytes?: number | undefined;
  readonly fetch?: Fetch;
  /** The tenants' upstreams, opened once per change and shared with the write path (default: its own). */
  readonly upstreams?: Upstreams;
}

export class ClientPort implements UpstreamPort {
  readonly #store: Store;
  readonly #options: ClientPortOptions;
  readonly #gatewayId: () => Promise<string>;
  readonly #upstreams: Upstreams;

  constructor(store: Store, options: ClientPortOptions) {
    this.#store = store;
    this.#options = options;
    this.#gatewayId = gatewayIdOf(store.upstreams);
    this.#upstreams = options.upstreams ?? upstreamsOf(store, options);
  }

  /** A client whose requests name the delivery, follow the dispatcher's abort, and note Retry-After. */
  #client(delivery: string, signal: AbortSignal) {
    const seen: { retryAfter?: number; loop?: boolean } = {};
    const base: Fetch = this.#options.fetch ?? ((input, init) => fetch(input, init));
    const tracked: Fetch = async (input, init) => {
      const headers = new Headers(init.headers);
      headers.set(deliveryHeader, delivery);
      const signals = [signal, ...(init.signal ? [init.signal] : [])];
      const response = await base(input, { ...init, headers, signal: AbortSignal.any(signals) });
      if (response.status === 508) seen.loop = true;
      if (response.status === 429 || response.status === 503) {
        const after = retryAfterMs(response.headers.get('retry-after'));
        if (after !== undefined) seen.retryAfter = after;
      }
      return response;
    };
    const client = new UpstreamClient({
      dialects: this.#options.dialects,
      keyring: this.#options.keyring,
      timeoutMs: this.#options.timeoutMs,
      maxAnswerBytes: this.#options.maxAnswerBytes,
      fetch: tracked,
      upstreams: this.#store.upstreams,
      gatewayId: this.#gatewayId,
      ...(this.#options.logger ? { logger: this.#options.logger } : {}),
    });
    return { client, seen };
  }

  #open(tenantId: string, upstreamId: string): Promise<Upstream | undefined> {
    return this.#upstreams.find(tenantId, upstreamId);
  }

  async #link(work: Pick<DeliveryWork, 'tenantId' | 'customerId'>, upstream: Upstream, remoteId: string): Promise<void> {
    const link = {
      upstreamId: upstream.id,
      customerId: work.customerId,
      tenantId: work.tenantId,
      remoteId,
      createdAt: new Date().toISOString(),
    };
    try {
      await this.#store.upstreams.link(link);
    } catch (error) {
      // Linked already (another dispatcher found the same customer): the link stands.
      if (!(error instanceof UniqueViolation)) throw error;
    }
  }

  /** The customer a lost create left at the upstream, found by its marker, linked. */
  async #adopt(client: UpstreamClient, upstream: Upstream, work: DeliveryWork, marker: string): Promise<boolean> {
    const found = await findByMarker(client, upstream, marker);
    if (found) await this.#link(work, upstream, found.upstreamId);
    return found !== undefined;
  }

  /**
   * A deleted customer's copy is deleted at the upstream (a 404 there counts as done); one the
   * upstream never got (no link) has nothing to delete. An upstream whose API has no delete
   * refuses it, and the delivery is dead-lettered saying so.
   */
  async #remove(client: UpstreamClient, upstream: Upstream, work: DeliveryWork): Promise<DeliveryOutcome> {
    const link = await this.#store.upstreams.findLink(work.tenantId, upstream.id, work.customerId);
    if (link) await client.remove(upstream, link.remote_id);
    return { kind: 'delivered' };
  }

  async deliver(work: DeliveryWork, signal: AbortSignal): Promise<DeliveryOutcome> {
    const { client, seen } = this.#client(`${work.upstream.id}/${work.customerId}/v${work.version}`, signal);
    try {
      const upstream = await this.#open(work.tenantId, work.upstream.id);
      if (!upstream) return { kind: 'rejected', error: 'the upstream was removed' };
      if (work.action === 'delete') return await this.#remove(client, upstream, work);
      const row = await this.#store.findCustomer(work.tenantId, 'uuid', work.customerId);
      let current = asCustomer(work.customerId, work.fields, row && rowToCustomer(row));
      const link: LinkRow | undefined = await this.#store.upstreams.findLink(work.tenantId, upstream.id, work.customerId);
      const marker = link ? undefined : createMarker(upstream.dialect, work.customerId, work.fields);
      if (marker !== undefined) {
        // A retry may follow a create that landed: the answer, not the create, was lost.
        if (work.attempt > 1 && (await this.#adopt(client, upstream, work, marker))) return { kind: 'delivered' };
        current = { ...current, external_id: marker };
      }
      const carried = link ? await leaveOutRefused(upstream, link, work, current) : { patch: work.patch, notCarried: [] };
      try {
        const pushed = await client.push(upstream, link, { patch: carried.patch, current, idempotencyKey: work.idempotencyKey });
        if (!link) await this.#link(work, upstream, pushed.upstreamId);
        if (carried.notCarried.length === 0) return { kind: 'delivered' };
        const notCarried = `not carried: ${carried.notCarried.join(', ')} (the ${upstream.dialect.name} API has no way to make this change; the provider keeps its value)`;
        this.#options.logger?.error('delivery_not_carried', {
          upstream: upstream.id,
          customer: work.customerId,
          fields: carried.notCarried,
        });
        return { kind: 'delivered', notCarried };
      } catch (error) {
        // The marker is taken: by this customer's earlier create, which is then adopted.
        if (
          marker !== undefined &&
          isGatewayError(error) &&
          error.code === 'conflict' &&
          (await this.#adopt(client, upstream, work, marker))
        ) {
          return { kind: 'delivered' };
        }
        throw error;
      }
    } catch (error) {
      return outcomeOf(error, seen);
    }
  }

  async read(
    tenantId: string,
    target: ReplicaTarget,
    customerId: string,
    base: CustomerFields,
    signal: AbortSignal,
  ): Promise<UpstreamCopy | undefined> {
    const { client } = this.#client(`${target.id}/${customerId}/read`, signal);
    const upstream = await this.#open(tenantId, target.id);
    const link = upstream && (await this.#store.upstreams.findLink(tenantId, upstream.id, customerId));
    if (!upstream || !link) return undefined;
    const copy = await client.fetchCustomer(upstream, link.remote_id);
    return { fields: applyPatch(base, copy.patch), version: null };
  }

  expected(target: ReplicaTarget, customerId: string, fields: CustomerFields): Partial<CustomerFields> {
    return expectedAt(dialectOf(this.#options.dialects, target.dialect), customerId, fields);
  }
}

/** The local fields as a dialect can show them (render, then parse back): UpstreamPort.expected. */
export function expectedAt(dialect: AnyDialect, customerId: string, fields: CustomerFields): Partial<CustomerFields> {
  const marker = createMarker(dialect, customerId, fields);
  const local = marker !== undefined ? { ...fields, external_id: marker } : fields;
  const rendered = dialect.wire.render(asCustomer(customerId, local, undefined), {
    expand: [],
    principal: { tenantId: 'shadow', credentialId: 'shadow', livemode: false },
  });
  const parsed = dialect.client.parse(rendered);
  return isGatewayError(parsed) ? local : applyPatch(local, parsed.patch);
}

/** The tenants' upstreams, opened with this gateway's keyring (credentials in the old form are re-sealed on first use). */
export function upstreamsOf(
  store: Store,
  options: Pick<ClientPortOptions, 'dialects' | 'keyring' | 'timeoutMs' | 'maxAnswerBytes' | 'logger'>,
): Upstreams {
  const client = new UpstreamClient({
    dialects: options.dialects,
    keyring: options.keyring,
    timeoutMs: options.timeoutMs,
    maxAnswerBytes: options.maxAnswerBytes,
    upstreams: store.upstreams,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return new Upstreams(
    store.upstreams,
    (row) => client.open(row),
    (name) => client.dialectOf(name),
  );
}

/** The outbox of a gateway: deliveries recorded with each write, sent through the dialects' clients. */
export function replicationFor(
  store: Store,
  config: GatewayConfig,
  options: { readonly dialects: readonly AnyDialect[]; readonly fetch?: Fetch; readonly logger?: Logger },
): Replication {
  const opening = {
    dialects: options.dialects,
    keyring: keyringFor(config, store.upstreams),
    timeoutMs: config.upstreamTimeoutMs,
    maxAnswerBytes: config.upstreamMaxAnswerBytes,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const upstreams = upstreamsOf(store, opening);
  const replicas = upstreams.replicas;
  const port = new ClientPort(store, { ...opening, upstreams, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const dispatcher = new Dispatcher({
    store,
    port,
    replicas,
    dialects: options.dialects,
    maxAttempts: config.outbox.maxAttempts,
    baseDelayMs: config.outbox.baseDelayMs,
    maxDelayMs: config.outbox.maxDelayMs,
    // A delivery may take two calls (find a lost create, then send) and a shadow read.
    timeoutMs: 2 * config.upstreamTimeoutMs + 1000,
    logger: options.logger ?? consoleLogger,
  });
  return { replicas, dispatcher, upstreams };
}
