import type { CustomerFields } from '../../schemas/index.ts';
import type { GatewayConfig } from '../config.ts';
import { applyPatch, rowToCustomer } from '../core/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { isGatewayError } from '../contract/errors.ts';
import { consoleLogger, type Logger } from '../logger.ts';
import { type LinkRow, type Store, UniqueViolation } from '../store/index.ts';
import { dialectOf, type Upstream, UpstreamClient } from '../upstream/client.ts';
import { type Fetch, retryAfterMs, type Transport, transportOf } from '../upstream/http.ts';
import { attemptOf, customerModeOf, recordAttempt, settleRefused } from '../upstream/attempts.ts';
import { asCustomer } from '../upstream/fidelity.ts';
import { createMarker, findByMarker, findSent, stillToSend } from '../upstream/marker.ts';
import { gatewayIdOf } from '../upstream/loop.ts';
import { Upstreams } from '../upstream/tenant-upstreams.ts';

export { createMarker, retryAfterMs };
import { type Keyring, keyringFor } from '../upstream/secrets.ts';
import { Dispatcher } from './dispatcher.ts';
import { pacedDrain, type ServingSignal } from './drain-pace.ts';
import type { Replication } from './replication.ts';
import { leaveOutRefused, notCarriedNote, notHeldByCreate, outcomeOf } from './left-out.ts';
import type { DeliveryOutcome, DeliveryWork, ReplicaTarget, UpstreamCopy, UpstreamPort } from './types.ts';

// The outbox's port over the tenants' upstreams: the upstreams table, the links and each dialect's
// client half (src/upstream/, #16). It adds what delivery needs beyond one call: the upstream's
// Retry-After, an idempotency key where the provider takes one, and for a provider that takes none
// a way to find a create whose answer was lost instead of creating the customer twice.

/** Names the delivery on every request, so an upstream (or a proxy in the tests) can tell retries apart. */
export const deliveryHeader = 'x-custgate-delivery';

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
  /** How requests go out (src/upstream/transport.ts); default: over `fetch` above, else the runtime's fetch. */
  readonly transport?: Transport | undefined;
  /** The tenants' upstreams, opened once per change and shared with the write path (default: its own). */
  readonly upstreams?: Upstreams;
}

export class ClientPort implements UpstreamPort {
  readonly #store: Store;
  readonly #options: ClientPortOptions;
  readonly #gatewayId: () => Promise<string>;
  readonly #upstreams: Upstreams;
  readonly #transport: Transport;

  constructor(store: Store, options: ClientPortOptions) {
    this.#store = store;
    this.#options = options;
    this.#transport = transportOf(options);
    this.#gatewayId = gatewayIdOf(store.upstreams);
    this.#upstreams = options.upstreams ?? upstreamsOf(store, options);
  }

  /**
   * A client whose requests name the delivery, follow the dispatcher's abort, and note Retry-After
   * and a 508; `via`: the Via the delivered write arrived with, on every request of the delivery.
   */
  #client(delivery: string, signal: AbortSignal, via?: string) {
    const seen: { retryAfter?: number; loop?: boolean } = {};
    const base = this.#transport;
    const tracked: Transport = async (url, request) => {
      const headers = { ...request.headers, [deliveryHeader]: delivery };
      const answer = await base(url, { ...request, headers, signal });
      if (answer.status === 508) seen.loop = true;
      if (answer.status === 429 || answer.status === 503) {
        const after = retryAfterMs(answer.header('retry-after'));
        if (after !== undefined) seen.retryAfter = after;
      }
      return answer;
    };
    const client = new UpstreamClient({
      dialects: this.#options.dialects,
      keyring: this.#options.keyring,
      timeoutMs: this.#options.timeoutMs,
      maxAnswerBytes: this.#options.maxAnswerBytes,
      transport: tracked,
      upstreams: this.#store.upstreams,
      gatewayId: this.#gatewayId,
      ...(via !== undefined ? { via } : {}),
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

  /**
   * A provider with neither an idempotency key nor a marker (Meteroid, Bigcapital): while a create
   * of this customer is recorded (src/upstream/attempts.ts), its answer was lost, so the customer
   * it left there is looked for in the provider's list (findSent) and linked. Returns the link, and
   * the delivery's work reduced to what the found customer still lacks (undefined: nothing).
   */
  async #recover(
    client: UpstreamClient,
    upstream: Upstream,
    work: DeliveryWork,
  ): Promise<{ link: LinkRow; work?: DeliveryWork } | undefined> {
    const attempt = await attemptOf(this.#store, upstream, work.customerId);
    const found = attempt && (await findSent(client, this.#store, upstream, attempt.sent, attempt.at));
    if (!found) return undefined;
    await this.#link(work, upstream, found.upstreamId);
    const link = await this.#store.upstreams.findLink(work.tenantId, upstream.id, work.customerId);
    if (!link) return undefined;
    const rest = stillToSend(upstream.dialect, work.fields, found);
    return rest === undefined ? { link } : { link, work: { ...work, patch: rest } };
  }

  async deliver(work: DeliveryWork, signal: AbortSignal): Promise<DeliveryOutcome> {
    const { client, seen } = this.#client(`${work.upstream.id}/${work.customerId}/v${work.version}`, signal, work.via);
    try {
      const upstream = await this.#open(work.tenantId, work.upstream.id);
      if (!upstream) return { kind: 'rejected', error: 'the upstream was removed' };
      if (work.action === 'delete') return await this.#remove(client, upstream, work);
      const local =
        work.customer ?? (await this.#store.findCustomer(work.tenantId, 'uuid', work.customerId).then((r) => r && rowToCustomer(r)));
      let current = asCustomer(work.customerId, work.fields, local);
      let link: LinkRow | undefined = await this.#store.upstreams.findLink(work.tenantId, upstream.id, work.customerId);
      const marker = link ? undefined : createMarker(upstream.dialect, work.customerId, work.fields);
      if (marker !== undefined) {
        // A retry may follow a create that landed: the answer, not the create, was lost.
        if (work.attempt > 1 && (await this.#adopt(client, upstream, work, marker))) return { kind: 'delivered' };
        current = { ...current, external_id: marker };
      }
      const looksUp = !link && marker === undefined && !upstream.dialect.idempotency;
      if (looksUp) {
        const recovered = await this.#recover(client, upstream, work);
        if (recovered && !recovered.work) return { kind: 'delivered' };
        if (recovered) [link, work] = [recovered.link, recovered.work ?? work];
      }
      const carried = link ? await leaveOutRefused(upstream, link, work, current) : await notHeldByCreate(upstream, current, work.patch);
      if (!link && looksUp) {
        // Recorded before it leaves: if its answer is lost, the next delivery finds what it left.
        const sent = applyPatch(current, carried.patch);
        const livemode = await customerModeOf(this.#store, work.tenantId, work.customerId);
        await recordAttempt(this.#store, upstream, work.customerId, { at: new Date().toISOString(), key: undefined, sent, livemode });
      }
      try {
        const write = { patch: carried.patch, current, idempotencyKey: work.idempotencyKey };
        const pushed = await client
          .push(upstream, link, write)
          .catch((error: unknown) =>
            !link && looksUp ? settleRefused(this.#store, upstream, work.customerId, error) : Promise.reject(error),
          );
        if (!link) await this.#link(work, upstream, pushed.upstreamId);
        if (carried.notCarried.length === 0) return { kind: 'delivered' };
        const notCarried = notCarriedNote(upstream.dialect, carried);
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
    const copy = await client.fetchLinked(upstream, link);
    return { fields: applyPatch(base, copy.patch), version: null };
  }

  expected(target: ReplicaTarget, customerId: string, fields: CustomerFields, there: Partial<CustomerFields>): Partial<CustomerFields> {
    return expectedAt(dialectOf(this.#options.dialects, target.dialect), customerId, fields, there);
  }
}

/**
 * The local fields as a dialect can show them (render, then parse back): UpstreamPort.expected.
 * `there` is the provider's copy: a customer without an external_id is expected to show custgate's
 * create marker only where the provider does (a mirror's create sent it); one the provider made
 * (imported, fetched on first reference) never had it, and showing none there is no difference.
 */
export function expectedAt(
  dialect: AnyDialect,
  customerId: string,
  fields: CustomerFields,
  there: Partial<CustomerFields>,
): Partial<CustomerFields> {
  const marker = createMarker(dialect, customerId, fields);
  const local = marker !== undefined && there.external_id === marker ? { ...fields, external_id: marker } : fields;
  const rendered = dialect.wire.render(asCustomer(customerId, local, undefined), {
    expand: [],
    principal: { tenantId: 'shadow', livemode: false },
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
  options: {
    readonly dialects: readonly AnyDialect[];
    readonly fetch?: Fetch;
    /** Node: nodeTransport (src/upstream/node-transport.ts); default: over `fetch`. */
    readonly transport?: Transport | undefined;
    readonly logger?: Logger;
    /** The serving thread's requests, for a drain in another thread (src/entries/delivery-thread.ts). */
    readonly signal?: ServingSignal;
  },
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
  const port = new ClientPort(store, { ...opening, upstreams, transport: transportOf(options) });
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
    ...pacedDrain(config.outbox.share, options.signal),
    logger: options.logger ?? consoleLogger,
  });
  return { replicas, dispatcher, upstreams };
}
