import type { AnyDialect } from '../contract/dialect.ts';
import { backoffMs } from '../outbox/dispatcher.ts';
import { DrainLoop, drainRounds, type EachRow, ended, type RowOutcome, roundTargets } from '../outbox/drain-loop.ts';
import { ArrivalCredit, type DrainPace } from '../outbox/drain-pace.ts';
import { roundOf } from '../outbox/round-pick.ts';
import { UnsettledRounds } from '../outbox/unsettled-rounds.ts';
import { type Fetch, type Transport, transportOf } from '../upstream/http.ts';
import type { Keyring } from '../upstream/secrets.ts';
import type { Store } from '../store/index.ts';
import { resetGeneration, resetSince } from '../store/tenant-reset.ts';
import { OriginGate } from './origin-gate.ts';
import { EventSender } from './send-event.ts';
import { judgeRound, type Sent } from './round-outcome.ts';
import type { EndpointRow, WebhookDeliveryRow, WebhookDeliveryState, WebhookStore } from './store.ts';
import type { Settlement } from '../store/lease.ts';

// Sends what the writes recorded, the way src/outbox/dispatcher.ts sends mirror deliveries: leased
// by compare-and-set (any number of processes on one database), settled only after the receiver
// answered (at least once), the earliest pending version of a customer first, exponential backoff
// with jitter until the retry window ends, then given up; an endpoint whose deliveries keep being
// given up is disabled (log line and metric), as Stripe disables one after days of failures.
//
// A round is up to `roundSize` due rows: leased in one commit, sent at once (at most
// `connectionsPerOrigin` in flight to one receiver, or, over a transport that bounds its own
// connections per origin, the Node agent's CUSTGATE_UPSTREAM_SOCKETS), then logged and settled
// in one commit; up to
// `roundsInFlight` rounds run at once. Two commits per round, not three per event, is what lets
// delivery keep up with the writes.

export interface WebhookDispatcherOptions {
  readonly store: Store;
  readonly webhooks: WebhookStore;
  readonly keyring: Keyring;
  readonly dialects: readonly AnyDialect[];
  readonly fetch?: Fetch;
  /** How sends go out (Node: src/upstream/node-transport.ts); default: over `fetch` above. */
  readonly transport?: Transport | undefined;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly retryWindowMs: number;
  readonly disableAfter: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs?: number;
  /** Per send, and per round: a round's sends all end within it, waiting for a connection included. */
  readonly timeoutMs?: number;
  /** Rows leased, sent and settled together (default 128). */
  readonly roundSize?: number;
  /**
   * Sends in flight to one origin (default 16): the connections a receiver gets at most. Only over
   * a transport with no bound of its own (fetch); the Node transport's agent holds its own.
   */
  readonly connectionsPerOrigin?: number;
  /** Rounds sent at once (default 4), so one slow receiver's round does not hold up the next. */
  readonly roundsInFlight?: number;
  /**
   * The gateway's pace, shared with the outbox's dispatcher (CUSTGATE_OUTBOX_SHARE): keeps the drain
   * to a share of the main thread while requests are served; none: flat out.
   */
  readonly pace?: DrainPace | undefined;
  readonly logger?: { error(event: string, fields: Readonly<Record<string, unknown>>): void };
  /** Counted when an endpoint is disabled (Node: a Prometheus counter). */
  readonly onDisabled?: (endpoint: EndpointRow) => void;
}

export interface WebhookDrainReport {
  delivered: number;
  retried: number;
  /** Leased while its endpoint was held (down): put back unsent, no attempt logged or counted. */
  held: number;
  dead: number;
  /** Rounds followed by a pause because requests were being served (src/outbox/drain-pace.ts). */
  paused: number;
}

const emptyReport = (): WebhookDrainReport => ({ delivered: 0, retried: 0, held: 0, dead: 0, paused: 0 });

export const defaultRoundSize = 128;

// While requests are served, a round's sends start this many at a time, a turn of the loop between
// groups. One at a time, four rounds in flight sent at most four events per turn of the loop, and
// at 500 updates a second the loop turned too few times for the events (commit-to-delivery p99
// 2.7–4.3 s); eight at a time: 139–179 ms, the updates' own p99 92–111 ms against 71–88 (the
// events' work now runs beside them; docs/performance.md, "The webhook queue keeps up with the writes").
const rowsPerTurn = 8;
export const defaultConnectionsPerOrigin = 16;
export const defaultRoundsInFlight = 4;

export class WebhookDispatcher {
  readonly owner = `webhooks-${crypto.randomUUID()}`;
  readonly #o: WebhookDispatcherOptions;
  // The events queued by this process's writes: the flow its pace does not hold back.
  readonly #arrivals = new ArrivalCredit();
  readonly #now: () => Date;
  readonly #timeoutMs: number;
  readonly #sender: EventSender;
  // An endpoint whose every send of a round failed is held for the backoff of its failed rounds in
  // a row. The hold is the endpoint's row (held_until, held_rounds), read with it once per round, not
  // this process's memory: a release by any process on the store (enable, a new URL, a resend, a
  // reset) ends it for all of them.
  readonly #holdMs: (rounds: number) => number;
  // Rounds that leased rows and then failed (the store down under them): put back at the next drain.
  readonly #unsettled = new UnsettledRounds<WebhookDeliveryRow>((rows, owner, now) => this.#o.webhooks.putBack(rows, owner, now));
  /** Each round in flight's reset generation when it leased (src/store/tenant-reset.ts), by its owner. */
  readonly #leasedAt = new Map<string, { readonly generation: number; readonly generations: ReadonlyMap<string, number> }>();
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
    const transport = transportOf(options);
    this.#sender = new EventSender({
      store: options.store,
      keyring: options.keyring,
      dialects: options.dialects,
      transport,
      // None when the transport bounds its connections per origin itself: one bound, not two.
      gate:
        transport.socketsPerOrigin === undefined ? new OriginGate(options.connectionsPerOrigin ?? defaultConnectionsPerOrigin) : undefined,
      now: this.#now,
      timeoutMs: this.#timeoutMs,
    });
    const random = options.random ?? Math.random;
    this.#holdMs = (rounds) => backoffMs(rounds, options.baseDelayMs, options.maxDelayMs ?? 3600_000, random);
  }

  /** The gateway's pace this queue keeps (shared with the outbox's dispatcher); none: never paced. */
  get pace(): DrainPace | undefined {
    return this.#o.pace;
  }

  /** Decrypts the secrets that sign now: the current one, and the previous one within its overlap. */
  secrets(endpoint: EndpointRow, now: Date): Promise<string[]> {
    return this.#sender.secrets(endpoint, now);
  }

  /** The event for an endpoint, its id and its body in the endpoint's format and dialect; undefined when the history is gone. */
  event(endpoint: EndpointRow, row: Pick<WebhookDeliveryRow, 'customer_id' | 'version' | 'request_id' | 'idempotency_key'>) {
    return this.#sender.event(endpoint, row);
  }

  async drain(options: { readonly deadline?: number } = {}): Promise<WebhookDrainReport> {
    const report = emptyReport();
    const w = this.#o.webhooks;
    const { paused } = await drainRounds<WebhookDeliveryRow>(
      {
        now: this.#now,
        pace: this.#o.pace,
        limit: this.#o.roundSize ?? defaultRoundSize,
        rowsPerTurn,
        // Longer than a round's sends may take, so a live holder never loses them; a killed one's ends soon.
        leaseMs: this.#timeoutMs + 2_000,
        owner: this.owner,
        due: (now, limit) => roundOf((n, newest) => w.due(now, n, newest), limit, webhookRowKey),
        claim: async (rows, owner, now, leaseUntil) => {
          // Read before the lease is queued: a reset after it is one this round must not log across.
          const generation = resetGeneration(this.#o.store);
          // The store's too, for a reset by another process or on another connection (src/webhooks/round-log.ts).
          const generations = await w.resetGenerations(rows.map((row) => row.tenant_id));
          const won = await w.claimMany(rows, owner, now, leaseUntil);
          if (won.length > 0) this.#leasedAt.set(owner, { generation, generations });
          return won;
        },
        process: (rows, owner, each) => this.#round(rows, owner, each, report),
        steady: (rows) => this.#arrivals.take(rows),
        unsettled: this.#unsettled,
      },
      options.deadline,
      this.#o.roundsInFlight ?? defaultRoundsInFlight,
    );
    report.paused = paused;
    return report;
  }

  /** `events` were queued by a write of this process (the steady flow the pace lets through). */
  arrived(events: number): void {
    this.#arrivals.arrived(events);
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

  /** Sends a round's rows at once, then logs and settles them all in one commit. */
  async #round(
    rows: readonly WebhookDeliveryRow[],
    owner: string,
    each: EachRow<WebhookDeliveryRow>,
    report: WebhookDrainReport,
  ): Promise<boolean> {
    const w = this.#o.webhooks;
    const nowIso = this.#now().toISOString();
    const settlements: Settlement<WebhookDeliveryRow, WebhookDeliveryState>[] = [];
    const outcomes: [string, RowOutcome][] = [];
    // Each endpoint of the round read once, its hold with it: a query per endpoint, not per delivery.
    const read = await this.#endpoints(rows);
    const endpointOf = (row: WebhookDeliveryRow) => read.get(`${row.tenant_id}\u0000${row.endpoint_id}`);
    const byId = new Map([...read.values()].flatMap((e) => (e ? [[e.id, e] as const] : [])));
    // Rows of an endpoint held down go back unsent: no request, no attempt logged, none counted.
    const sendable = rows.filter((row) => {
      const until = endpointOf(row)?.held_until;
      if (!until || until <= nowIso) return true;
      report.held++;
      settlements.push({ key: row, outcome: { state: 'pending', nextAttemptAt: until, unsent: true } });
      outcomes.push([row.endpoint_id, 'held']);
      return false;
    });
    // Real time, not the dispatcher's clock (a test may freeze that): every send ends by then.
    const deadline = Date.now() + this.#timeoutMs;
    const secrets = new Map<string, Promise<string[]>>();
    // Every send ends before the round may fail (a row's history unreadable, the store down): a row
    // put back while its send was still in flight could be sent twice at once.
    const results = await each(sendable, (row) =>
      this.#sender.send(row, endpointOf(row), secrets, deadline).then(
        (s): Sent | Broken => s,
        (error: unknown): Broken => ({ broken: error }),
      ),
    );
    const broken = results.find((r): r is Broken => 'broken' in r);
    if (broken) throw broken.broken;
    const sent = results as Sent[];
    const { generation, generations } = this.#leasedAt.get(owner) ?? { generation: resetGeneration(this.#o.store), generations: new Map() };
    this.#leasedAt.delete(owner);
    const judged = judgeRound(sent, report, {
      ...this.#o,
      // Its tenant was reset while it was in flight: the reset emptied the log and the queue, so
      // nothing of it is logged, settled or counted against the endpoint after the reset.
      resetSince: (tenantId) => resetSince(this.#o.store, tenantId, generation),
    });
    settlements.push(...judged.settlements);
    outcomes.push(...judged.outcomes);
    const { attempts, recovered, givenUp } = judged;
    const { answered, failed } = roundTargets(outcomes);
    await w.settleRound({
      owner,
      now: this.#now().toISOString(),
      settlements,
      attempts,
      recovered,
      givenUp: givenUp.map((g) => g.row),
      answered: [...answered].filter((id) => Number(byId.get(id)?.held_rounds ?? 0) > 0),
      generations,
    });
    const failing = new Map(givenUp.map((g) => [g.endpoint.id, g.endpoint] as const));
    for (const endpoint of failing.values()) await this.#disableIfFailing(endpoint);
    const at = this.#now();
    for (const endpoint of failed) {
      const was = byId.get(endpoint);
      if (!was) continue;
      const until = new Date(at.getTime() + this.#holdMs(Number(was.held_rounds) + 1)).toISOString();
      const deferred = await w.hold(endpoint, was, until, at.toISOString());
      // Another round, or a release, changed the hold since this round read it: that one stands.
      if (deferred === undefined) continue;
      this.#o.logger?.error('webhook_endpoint_held', { endpoint, until, deferred });
    }
    return outcomes.some(([, outcome]) => ended(outcome));
  }

  /** The round's endpoints, each read once, by tenant and id (a row's endpoint is looked up inside its tenant only). */
  async #endpoints(rows: readonly WebhookDeliveryRow[]): Promise<Map<string, EndpointRow | undefined>> {
    const keys = new Map(rows.map((row) => [`${row.tenant_id}\u0000${row.endpoint_id}`, row] as const));
    const read = await Promise.all(
      [...keys].map(async ([key, row]) => [key, await this.#o.webhooks.endpoint(row.tenant_id, row.endpoint_id)] as const),
    );
    return new Map(read);
  }

  /** After a round gave up deliveries to the endpoint (counted in its commit): disabled once the count reaches the limit. */
  async #disableIfFailing(endpoint: EndpointRow): Promise<void> {
    const failures = await this.#o.webhooks.disableFailing(endpoint.id, this.#o.disableAfter, this.#now().toISOString());
    if (failures === undefined) return;
    this.#o.logger?.error('webhook_endpoint_disabled', { tenant: endpoint.tenant_id, endpoint: endpoint.id, failures });
    this.#o.onDisabled?.(endpoint);
  }
}

const webhookRowKey = (row: WebhookDeliveryRow) => `${row.endpoint_id}\u0000${row.customer_id}\u0000${row.version}`;

/** A send that threw rather than failing (its event's history could not be read): the round fails. */
interface Broken {
  readonly broken: unknown;
}
