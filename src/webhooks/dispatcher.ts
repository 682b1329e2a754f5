import type { AnyDialect } from '../contract/dialect.ts';
import { backoffMs } from '../outbox/dispatcher.ts';
import { DrainLoop, drainRounds } from '../outbox/drain-loop.ts';
import type { Fetch } from '../upstream/http.ts';
import type { Keyring } from '../upstream/secrets.ts';
import type { Store } from '../store/index.ts';
import { eventFacts, eventId, standardEvent, stripeEvent } from './events.ts';
import { standardSignature, stripeSignature } from './sign.ts';
import type { EndpointRow, WebhookDeliveryRow, WebhookStore } from './store.ts';

// Sends what the writes recorded, the way src/outbox/dispatcher.ts sends mirror deliveries: leased
// by compare-and-set (any number of processes on one database), settled only after the receiver
// answered (at least once), the earliest pending version of a customer first, exponential backoff
// with jitter until the retry window ends, then given up; an endpoint whose deliveries keep being
// given up is disabled (log line and metric), as Stripe disables one after days of failures.

export interface WebhookDispatcherOptions {
  readonly store: Store;
  readonly webhooks: WebhookStore;
  readonly keyring: Keyring;
  readonly dialects: readonly AnyDialect[];
  readonly fetch?: Fetch;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly retryWindowMs: number;
  readonly disableAfter: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs?: number;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly logger?: { error(event: string, fields: Readonly<Record<string, unknown>>): void };
  /** Counted when an endpoint is disabled (Node: a Prometheus counter). */
  readonly onDisabled?: (endpoint: EndpointRow) => void;
}

export interface WebhookDrainReport {
  delivered: number;
  retried: number;
  dead: number;
}

const emptyReport = (): WebhookDrainReport => ({ delivered: 0, retried: 0, dead: 0 });

/** The key a sealed webhook secret is bound to (AES-GCM additional data). */
export const secretContext = (tenantId: string, endpointId: string): string => `custgate-webhook:${tenantId}:${endpointId}`;

/** A request body and headers for one delivery: what the receiver verifies. */
export async function signedDelivery(
  endpoint: EndpointRow,
  secrets: readonly string[],
  body: Record<string, unknown>,
  id: string,
  now: Date,
): Promise<{ readonly payload: string; readonly headers: Record<string, string> }> {
  const payload = JSON.stringify(body);
  const t = Math.floor(now.getTime() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'custgate-webhooks' };
  if (endpoint.format === 'stripe') headers['stripe-signature'] = await stripeSignature(secrets, t, payload);
  else {
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(t);
    headers['webhook-signature'] = await standardSignature(secrets, id, t, payload);
  }
  return { payload, headers };
}

export class WebhookDispatcher {
  readonly owner = `webhooks-${crypto.randomUUID()}`;
  readonly #o: WebhookDispatcherOptions;
  readonly #now: () => Date;
  readonly #timeoutMs: number;
  readonly #loop = new DrainLoop<WebhookDrainReport>(
    () => this.drain(),
    (error) => {
      this.#o.logger?.error('webhook_drain_failed', { message: error instanceof Error ? error.message : String(error) });
      return emptyReport();
    },
  );

  constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Decrypts the secrets that sign now: the current one, and the previous one within its overlap. */
  async secrets(endpoint: EndpointRow, now: Date): Promise<string[]> {
    const context = secretContext(endpoint.tenant_id, endpoint.id);
    const out = [await this.#o.keyring.decrypt(endpoint.secret, context)];
    if (endpoint.previous_secret && endpoint.previous_until && endpoint.previous_until > now.toISOString()) {
      out.push(await this.#o.keyring.decrypt(endpoint.previous_secret, context));
    }
    return out;
  }

  /** The event body for an endpoint, in its format and dialect; undefined when the history is gone. */
  async body(endpoint: EndpointRow, row: Pick<WebhookDeliveryRow, 'customer_id' | 'version' | 'request_id' | 'idempotency_key'>) {
    const dialect = this.#o.dialects.find((d) => d.name === endpoint.dialect);
    if (!dialect) return undefined;
    const facts = await eventFacts(this.#o.store, endpoint.tenant_id, row.customer_id, Number(row.version), {
      requestId: row.request_id,
      idempotencyKey: row.idempotency_key,
    });
    if (!facts) return undefined;
    return endpoint.format === 'stripe' ? stripeEvent(facts, dialect) : standardEvent(facts, dialect);
  }

  async drain(options: { readonly deadline?: number } = {}): Promise<WebhookDrainReport> {
    const report = emptyReport();
    const w = this.#o.webhooks;
    await drainRounds<WebhookDeliveryRow>(
      {
        now: this.#now,
        limit: this.#o.concurrency ?? 8,
        // Longer than a delivery may take, so a live holder never loses it; a killed one's ends soon.
        leaseMs: this.#timeoutMs + 2_000,
        owner: this.owner,
        due: (now, limit) => w.due(now, limit),
        claim: (row, owner, now, leaseUntil) => w.claim(row, owner, now, leaseUntil),
        process: (row) => this.#process(row, report),
      },
      options.deadline,
    );
    return report;
  }

  kick(): Promise<WebhookDrainReport> {
    return this.#loop.kick();
  }

  start(intervalMs: number): void {
    this.#loop.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #process(row: WebhookDeliveryRow, report: WebhookDrainReport): Promise<void> {
    const w = this.#o.webhooks;
    const settle = (state: 'pending' | 'delivered' | 'dead', error: string | null, nextAttemptAt?: string) =>
      w.settle(row, this.owner, { state, error, ...(nextAttemptAt ? { nextAttemptAt } : {}) }, this.#now().toISOString());
    const endpoint = await w.endpoint(row.tenant_id, row.endpoint_id);
    const body = endpoint && (await this.body(endpoint, row));
    if (!endpoint || !body) {
      report.dead++;
      await settle('dead', endpoint ? `no change history for version ${row.version}` : 'the endpoint was removed');
      return;
    }
    const id = eventId(row.customer_id, Number(row.version));
    const started = this.#now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const signed = await signedDelivery(endpoint, await this.secrets(endpoint, started), body, id, started);
      const res = await (this.#o.fetch ?? fetch)(endpoint.url, {
        method: 'POST',
        headers: signed.headers,
        body: signed.payload,
        // A redirect is a failure, as at Stripe: the signed body is for this URL only.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = res.status;
      await res.body?.cancel();
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const finished = this.#now();
    await w.recordAttempt({
      id: crypto.randomUUID(),
      tenant_id: row.tenant_id,
      endpoint_id: row.endpoint_id,
      event_id: id,
      attempt: row.attempts,
      status,
      error,
      duration_ms: Math.max(0, finished.getTime() - started.getTime()),
      created_at: finished.toISOString(),
    });
    if (error === null) {
      report.delivered++;
      await settle('delivered', null);
      if (endpoint.failures > 0) await w.succeeded(endpoint.id);
      return;
    }
    const delay = backoffMs(row.attempts, this.#o.baseDelayMs, this.#o.maxDelayMs ?? 3600_000, this.#o.random ?? Math.random);
    const next = finished.getTime() + delay;
    if (next <= Date.parse(row.created_at) + this.#o.retryWindowMs) {
      report.retried++;
      await settle('pending', error, new Date(next).toISOString());
      return;
    }
    report.dead++;
    await settle('dead', error);
    const failures = await w.failed(endpoint.id, finished.toISOString());
    if (failures >= this.#o.disableAfter && endpoint.status === 'enabled') {
      await w.updateEndpoint(endpoint.tenant_id, endpoint.id, { status: 'disabled' }, finished.toISOString());
      this.#o.logger?.error('webhook_endpoint_disabled', { tenant: endpoint.tenant_id, endpoint: endpoint.id, failures });
      this.#o.onDisabled?.(endpoint);
    }
  }
}
