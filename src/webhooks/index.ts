import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { randomBase62 } from '../core/ids.ts';
import type { EventSink, WrittenEvent } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { freshLease } from '../store/lease.ts';
import { type Keyring, keyringFor } from '../upstream/secrets.ts';
import type { GatewayConfig } from '../config.ts';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './dispatcher.ts';
import { apiVersionOf, descriptionOf, disabledOf, eventsOf, mergeMetadata, urlOf } from './endpoint-fields.ts';
import { eventType } from './events.ts';
import { newWebhookSecret, secretContext } from './sign.ts';
import { type EndpointRow, type EndpointScope, type WebhookFormat, WebhookStore } from './store.ts';

export { WebhookDispatcher } from './dispatcher.ts';
export { resendEvent } from './resend.ts';
export type { EndpointRow, EndpointScope, WebhookFormat } from './store.ts';

// Webhooks (#28): a tenant's endpoints, the rows each customer write records for them (in the
// write's atomic unit, through the core's EventSink), and the dispatcher that sends them.

const formats = ['stripe', 'standard'] as const satisfies readonly WebhookFormat[];

// The dialect whose shape `data` takes when none is named: Stripe's own events for the Stripe
// format, Meteroid's customer for Standard Webhooks (Meteroid sends those, through Svix).
const defaultDialect = { stripe: 'wooshpay', standard: 'meteroid' } as const satisfies Record<WebhookFormat, string>;

/** How long a rolled secret keeps signing beside the new one, unless told (Stripe's default: 24 h). */
export const defaultOverlapMs = 24 * 3600_000;

export interface EndpointInput {
  readonly url: unknown;
  readonly format?: unknown;
  readonly dialect?: unknown;
  readonly events?: unknown;
  readonly description?: unknown;
  readonly metadata?: unknown;
  /** The mode of the key that makes it (test unless told): it gets that mode's events only. */
  readonly livemode?: boolean;
  /** Stripe's api_version, shown back (endpoint-fields.ts apiVersionOf). */
  readonly apiVersion?: unknown;
}

/** What Stripe's update takes (https://docs.stripe.com/api/webhook_endpoints/update); each left out is unchanged. */
export interface EndpointUpdate {
  readonly url?: unknown;
  readonly events?: unknown;
  readonly description?: unknown;
  readonly metadata?: unknown;
  readonly disabled?: unknown;
}

export interface WebhooksOptions extends Omit<WebhookDispatcherOptions, 'webhooks' | 'store' | 'keyring' | 'dialects'> {
  /** Send right after a write committed (Node); false leaves it to the poll or the cron. */
  readonly kickAfterWrite?: boolean;
  /**
   * How long a tenant found without endpoints is believed to have none (ms; 0: ask on every
   * write). Adding or enabling an endpoint through this instance ends it at once; one added by
   * another process sharing the database is seen within this time.
   */
  readonly noEndpointsTtlMs?: number;
}

/** Writes of a tenant without endpoints skip the lookup for this long (see WebhooksOptions). */
export const defaultNoEndpointsTtlMs = 1000;

/** Tries of a metadata merge that other updates keep outrunning before it is answered as a conflict. */
const maxMergeTries = 100;

const invalid = (message: string, field: string) =>
  new GatewayError('invalid_request', message, { issues: [{ path: [field], kind: 'value', message }] });

export class Webhooks implements EventSink {
  readonly repo: WebhookStore;
  readonly dispatcher: WebhookDispatcher;
  readonly #keyring: Keyring;
  readonly #dialects: readonly AnyDialect[];
  readonly #now: () => Date;
  readonly #kick: boolean;
  readonly #noneTtlMs: number;
  /** Tenants last found without enabled endpoints, until when that is believed (bounded). */
  readonly #none = new Map<string, number>();
  /**
   * The read of a tenant's enabled endpoints in flight: the writes that arrive while it runs share
   * it, so the end of the "none" belief costs one read, not one per write in flight.
   */
  readonly #reading = new Map<string, Promise<EndpointRow[]>>();

  constructor(store: Store, keyring: Keyring, dialects: readonly AnyDialect[], options: WebhooksOptions) {
    this.#keyring = keyring;
    this.#dialects = dialects;
    this.#now = options.now ?? (() => new Date());
    this.#kick = options.kickAfterWrite !== false;
    this.#noneTtlMs = options.noEndpointsTtlMs ?? defaultNoEndpointsTtlMs;
    this.repo = new WebhookStore(store.executor);
    this.dispatcher = new WebhookDispatcher({ ...options, store, webhooks: this.repo, keyring, dialects });
  }

  // --- the core's EventSink

  async prepare(tenantId: string): Promise<((event: WrittenEvent) => ReturnType<WebhookStore['insertStep']>[]) | undefined> {
    const at = this.#now().getTime();
    if ((this.#none.get(tenantId) ?? 0) > at) return undefined;
    const read = this.#endpoints(tenantId);
    const endpoints = await read;
    if (endpoints.length === 0) {
      // Only a read still current counts: an endpoint added while it ran ended it (#changed).
      if (this.#noneTtlMs > 0 && this.#reading.get(tenantId) === read) {
        if (this.#none.size >= 10_000) this.#none.clear();
        this.#none.set(tenantId, at + this.#noneTtlMs);
      }
      return undefined;
    }
    return (event) => {
      const type = eventType(event.action);
      const mode = event.livemode ? 1 : 0;
      const steps = endpoints
        .filter((e) => {
          // A test-mode endpoint never gets a live customer's event, nor a live one a test event (as at Stripe).
          if (Number(e.livemode) !== mode) return false;
          const wanted = JSON.parse(e.events) as string[];
          return wanted.includes('*') || wanted.includes(type);
        })
        .map((e) =>
          this.repo.insertStep({
            endpoint_id: e.id,
            customer_id: event.customerId,
            version: event.version,
            tenant_id: event.tenantId,
            type,
            request_id: event.requestId,
            idempotency_key: event.idempotencyKey,
            ...freshLease(event.at),
            created_at: event.at,
            updated_at: event.at,
          }),
        );
      this.dispatcher.arrived(steps.length);
      return steps;
    };
  }

  /** The tenant's enabled endpoints, from the read in flight when there is one. */
  #endpoints(tenantId: string): Promise<EndpointRow[]> {
    const running = this.#reading.get(tenantId);
    if (running) return running;
    const read = this.repo.endpoints(tenantId, 'enabled');
    this.#reading.set(tenantId, read);
    // Kept until it settles and a moment after (a microtask), so its own waiters see it as current.
    void read.then(
      () => this.#settled(tenantId, read),
      () => this.#settled(tenantId, read),
    );
    return read;
  }

  #settled(tenantId: string, read: Promise<EndpointRow[]>): void {
    queueMicrotask(() => {
      if (this.#reading.get(tenantId) === read) this.#reading.delete(tenantId);
    });
  }

  /** An endpoint was added or enabled here: the next write reads the endpoints again, whatever was believed or in flight. */
  #changed(tenantId: string): void {
    this.#none.delete(tenantId);
    this.#reading.delete(tenantId);
  }

  committed(background?: (work: Promise<unknown>) => void): void {
    if (!this.#kick) return;
    const sent = this.dispatcher.kick();
    background?.(sent);
  }

  // --- endpoints

  /** A new endpoint and its signing secret, which is shown this once. */
  async add(tenantId: string, input: EndpointInput): Promise<{ endpoint: EndpointRow; secret: string }> {
    const url = urlOf(input.url);
    const format = (input.format ?? 'stripe') as WebhookFormat;
    if (!formats.includes(format)) throw invalid(`format must be one of ${formats.join(', ')}.`, 'format');
    const dialect = input.dialect ?? defaultDialect[format];
    if (typeof dialect !== 'string' || !this.#dialects.some((d) => d.name === dialect)) {
      throw invalid(`dialect must be one of ${this.#dialects.map((d) => d.name).join(', ')}.`, 'dialect');
    }
    const events = eventsOf(input.events);
    const description = input.description === undefined ? null : descriptionOf(input.description);
    const metadata = input.metadata === undefined ? null : mergeMetadata(null, input.metadata);
    const apiVersion = apiVersionOf(input.apiVersion);
    const now = this.#now().toISOString();
    const id = `we_${randomBase62(24)}`;
    const secret = newWebhookSecret();
    const endpoint: EndpointRow = {
      id,
      tenant_id: tenantId,
      url,
      format,
      dialect,
      events: JSON.stringify(events),
      secret: await this.#keyring.encrypt(secret, secretContext(tenantId, id)),
      previous_secret: null,
      previous_until: null,
      status: 'enabled',
      livemode: input.livemode === true ? 1 : 0,
      failures: 0,
      held_until: null,
      held_rounds: 0,
      description,
      metadata,
      api_version: apiVersion,
      created_at: now,
      updated_at: now,
    };
    await this.repo.insertEndpoint(endpoint);
    this.#changed(tenantId);
    return { endpoint, secret };
  }

  /**
   * Changes what `input` names, all or nothing: every value is checked before the one UPDATE.
   * Enabling (`disabled: false`) starts the failure count again, as `enable` does. A metadata
   * merge is written only over the metadata it was made from, and made again from the new one if
   * another update got there first: two concurrent merges of different keys both keep theirs.
   */
  async update(scope: string | EndpointScope, id: string, input: EndpointUpdate): Promise<EndpointRow> {
    // Each lost compare-and-set is another update's success, so this ends; the bound is a guard.
    for (let tries = 1; ; tries++) {
      const done = await this.#updateOnce(scope, id, input, tries === maxMergeTries);
      if (done) return done;
    }
  }

  /** One try of `update`: undefined when a metadata merge lost its compare-and-set (and `last` is false). */
  async #updateOnce(scope: string | EndpointScope, id: string, input: EndpointUpdate, last: boolean): Promise<EndpointRow | undefined> {
    const row = await this.get(scope, id);
    const enabled = input.disabled === undefined ? undefined : !disabledOf(input.disabled);
    const set = {
      ...(input.url !== undefined ? { url: urlOf(input.url) } : {}),
      ...(input.events !== undefined ? { events: JSON.stringify(eventsOf(input.events)) } : {}),
      ...(input.description !== undefined ? { description: descriptionOf(input.description) } : {}),
      ...(input.metadata !== undefined ? { metadata: mergeMetadata(row.metadata, input.metadata) } : {}),
      ...(enabled === undefined ? {} : { status: enabled ? ('enabled' as const) : ('disabled' as const) }),
      ...(enabled === true ? { failures: 0 } : {}),
    };
    const now = this.#now().toISOString();
    const merging = input.metadata !== undefined;
    if (!(await this.repo.updateEndpoint(row.tenant_id, id, set, now, merging ? row.metadata : undefined))) {
      // Removed since the read is not found on the next try's read; a merge outrun this many times is a conflict.
      if (merging && !last) return undefined;
      if (merging) throw new GatewayError('conflict', `The webhook endpoint '${id}' is being changed by other requests; try again.`);
      throw new GatewayError('not_found', `No such webhook endpoint: '${id}'`, { reference: id });
    }
    // The next write reads the endpoints again (their events or status changed); one enabled sends what waited.
    this.#changed(row.tenant_id);
    if (enabled === true || set.url !== undefined) await this.release([id]);
    if (enabled === true) this.committed();
    return { ...row, ...set, updated_at: now };
  }

  /**
   * Endpoints the tenant says are back (enabled, moved to a new URL, an event resent to them): the
   * hold a failed round put on each ends, and what it deferred is due now, instead of waiting out
   * a backoff of up to an hour (docs/operations.md, "When a provider is down").
   */
  async release(endpointIds: readonly string[]): Promise<void> {
    const now = this.#now().toISOString();
    // In the store, not this process's memory: the process holding the endpoint may be another.
    for (const id of new Set(endpointIds)) await this.repo.release(id, now);
  }

  /** The endpoint, if it is the scope's: another tenant's, or another mode's, is not found. */
  async get(scope: string | EndpointScope, id: string): Promise<EndpointRow> {
    const row = await this.repo.endpoint(scope, id);
    if (!row) throw new GatewayError('not_found', `No such webhook endpoint: '${id}'`, { reference: id });
    return row;
  }

  async remove(scope: string | EndpointScope, id: string): Promise<EndpointRow> {
    const row = await this.get(scope, id);
    await this.repo.removeEndpoint(row.tenant_id, id);
    return row;
  }

  /** A new secret; the old one keeps signing beside it for `overlapMs`. */
  async roll(scope: string | EndpointScope, id: string, overlapMs = defaultOverlapMs): Promise<{ endpoint: EndpointRow; secret: string }> {
    const row = await this.get(scope, id);
    const tenantId = row.tenant_id;
    const now = this.#now();
    const secret = newWebhookSecret();
    const set = {
      secret: await this.#keyring.encrypt(secret, secretContext(tenantId, id)),
      previous_secret: overlapMs > 0 ? row.secret : null,
      previous_until: overlapMs > 0 ? new Date(now.getTime() + overlapMs).toISOString() : null,
    };
    await this.repo.updateEndpoint(tenantId, id, set, now.toISOString());
    return { endpoint: { ...row, ...set }, secret };
  }

  async setEnabled(scope: string | EndpointScope, id: string, enabled: boolean): Promise<EndpointRow> {
    const row = await this.get(scope, id);
    const tenantId = row.tenant_id;
    const status = enabled ? 'enabled' : 'disabled';
    await this.repo.updateEndpoint(tenantId, id, { status, ...(enabled ? { failures: 0 } : {}) }, this.#now().toISOString());
    if (enabled) {
      this.#changed(tenantId);
      await this.release([id]);
      this.committed();
    }
    return { ...row, status };
  }
}

/** The webhooks of a gateway built from its configuration (the Node server, the Worker). */
export function webhooksFor(
  store: Store,
  config: GatewayConfig,
  dialects: readonly AnyDialect[],
  options: Omit<WebhooksOptions, keyof GatewayConfig['webhooks']> = {},
): Webhooks {
  return new Webhooks(store, keyringFor(config, store.upstreams), dialects, { ...config.webhooks, ...options });
}
