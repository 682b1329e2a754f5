import type { AnyDialect } from '../contract/dialect.ts';
import { isGatewayError } from '../contract/errors.ts';
import type { Store } from '../store/index.ts';
import type { Transport } from '../upstream/http.ts';
import type { Keyring } from '../upstream/secrets.ts';
import { eventFacts, standardEvent, stripeEvent } from './events.ts';
import type { OriginGate } from './origin-gate.ts';
import type { Sent } from './round-outcome.ts';
import { secretContext, signedDelivery } from './sign.ts';
import type { EndpointRow, WebhookDeliveryRow } from './store.ts';

// One delivery's send, for the dispatcher's rounds (src/webhooks/dispatcher.ts): the event built
// from the customer's history in the endpoint's format and dialect, signed with the endpoint's
// secrets, and posted within the round's deadline. How it went is returned (Sent), never thrown,
// except when the event's history cannot be read at all (the store down): then the round fails.

export interface EventSenderOptions {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly dialects: readonly AnyDialect[];
  readonly transport: Transport;
  /** None when the transport bounds its connections per origin itself: one bound, not two. */
  readonly gate: OriginGate | undefined;
  readonly now: () => Date;
  readonly timeoutMs: number;
}

export class EventSender {
  readonly #o: EventSenderOptions;

  constructor(options: EventSenderOptions) {
    this.#o = options;
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

  /** The event for an endpoint, its id and its body in the endpoint's format and dialect; undefined when the history is gone. */
  async event(endpoint: EndpointRow, row: Pick<WebhookDeliveryRow, 'customer_id' | 'version' | 'request_id' | 'idempotency_key'>) {
    const dialect = this.#o.dialects.find((d) => d.name === endpoint.dialect);
    if (!dialect) return undefined;
    const facts = await eventFacts(this.#o.store, endpoint.tenant_id, row.customer_id, Number(row.version), {
      requestId: row.request_id,
      idempotencyKey: row.idempotency_key,
    });
    if (!facts) return undefined;
    return { id: facts.id, body: endpoint.format === 'stripe' ? stripeEvent(facts, dialect) : standardEvent(facts, dialect) };
  }

  /** Sends one row's event to its endpoint before `deadline` (epoch ms, real time); how it went, for the round's log. */
  async send(
    row: WebhookDeliveryRow,
    endpoint: EndpointRow | undefined,
    secrets: Map<string, Promise<string[]>>,
    deadline: number,
  ): Promise<Sent> {
    const unsent = (unsendable: string): Sent => {
      const at = this.#o.now();
      return { row, endpoint, unsendable, status: null, error: null, started: at, finished: at };
    };
    if (!endpoint) return unsent('the endpoint was removed');
    const event = await this.event(endpoint, row);
    if (!event) return unsent(`no change history for version ${row.version}`);
    const { id, body } = event;
    // The attempt's duration: signing, waiting for a connection, and the request.
    const started = this.#o.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const signing = secrets.get(endpoint.id) ?? this.secrets(endpoint, started);
      secrets.set(endpoint.id, signing);
      const signed = await signedDelivery(endpoint, await signing, body, id, started);
      const post = () => {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no connection to the endpoint within ${this.#o.timeoutMs} ms`);
        // Redirects are not followed (a failure, as at Stripe: the signed body is for this URL only).
        // The Node transport's time-out also covers its wait for one of the agent's sockets.
        return this.#o.transport(endpoint.url, {
          method: 'POST',
          headers: signed.headers,
          body: signed.payload,
          timeoutMs: left,
          maxAnswerBytes: 0,
          discardAnswer: true,
        });
      };
      const res = await (this.#o.gate ? this.#o.gate.run(endpoint.url, post) : post());
      status = res.status;
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (e) {
      error = !(e instanceof Error) ? String(e) : isGatewayError(e) ? sendFailure(e.code, this.#o.timeoutMs) : e.message;
    }
    return { row, endpoint, id, status, error, started, finished: this.#o.now() };
  }
}

/** The attempt log's words for a transport's failure (its messages speak of upstream providers). */
const sendFailure = (code: string, timeoutMs: number): string =>
  code === 'upstream_timeout' ? `no answer within ${timeoutMs} ms` : 'the endpoint could not be reached';
