import type { DeliveryKey, DeliveryRow, DeliveryState, Store } from '../store/index.ts';
import type { LeaseOutcome, Settlement } from '../store/lease.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { dialectOf } from '../upstream/client.ts';
import { comparedFields, recordComparison, shadowDiff } from '../core/shadow-diff.ts';
import { deliveryWork, resyncOver } from './delivery-work.ts';
import { DrainLoop, drainRounds, ended, type RowOutcome, TargetHolds } from './drain-loop.ts';
import type { DrainPace } from './drain-pace.ts';
import { roundOf } from './round-pick.ts';
import { UnsettledRounds } from './unsettled-rounds.ts';
import type { DeliveryOutcome, DeliveryWork, ReplicaLookup, UpstreamPort } from './types.ts';

// The dispatcher sends what the outbox holds: at least once (a delivery is settled only after the
// upstream answered), in version order per customer (Store.outbox.due only offers the earliest
// pending version; a dead one is superseded by the next), with exponential backoff and full
// jitter, Retry-After honoured, and dead-lettering after maxAttempts. Any number of dispatchers may run against one database: each
// delivery is leased by compare-and-set, and a lease outlives the delivery's timeout.

export interface DispatcherOptions {
  readonly store: Store;
  readonly port: UpstreamPort;
  readonly replicas: ReplicaLookup;
  /** The dialects a delivery's upstream may name (the registry the entry hands down). */
  readonly dialects: readonly AnyDialect[];
  readonly now?: () => Date;
  readonly random?: () => number;
  /** Attempts before a delivery is dead-lettered. */
  readonly maxAttempts?: number;
  /** One delivery (request and, in shadow mode, read-back) is abandoned after this long. */
  readonly timeoutMs?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Deliveries claimed and sent at once by one dispatcher. */
  readonly concurrency?: number;
  /** Keeps the drain to a share of the main thread while requests are served; none: flat out. */
  readonly pace?: DrainPace | undefined;
  readonly logger?: { error(event: string, fields: Readonly<Record<string, unknown>>): void };
}

export interface DrainReport {
  delivered: number;
  retried: number;
  /** Leased while its upstream was held (down): put back unsent, its attempt not counted. */
  held: number;
  dead: number;
  compared: number;
  mismatched: number;
  /** Rounds followed by a pause because requests were being served (src/outbox/drain-pace.ts). */
  paused: number;
}

const maxRetryAfterMs = 3600_000;

/** Deliveries a dispatcher claims and sends at once unless told otherwise (one round's rows). */
export const defaultDeliveryConcurrency = 8;

const emptyReport = (): DrainReport => ({ delivered: 0, retried: 0, held: 0, dead: 0, compared: 0, mismatched: 0, paused: 0 });

const deliveryKey = (row: DeliveryKey) => `${row.upstream_id}\u0000${row.customer_id}\u0000${row.version}`;

/** Exponential backoff with full jitter: a random delay in [d/2, d), d doubling per attempt up to the cap. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const d = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(d / 2 + random() * (d / 2));
}

/** How one row of a round ended, settled with the round's others in one commit. */
interface RowEnd {
  readonly outcome: RowOutcome;
  readonly settlement: Settlement<DeliveryKey, DeliveryState>;
}

export class Dispatcher {
  readonly owner = `dispatcher-${crypto.randomUUID()}`;
  readonly #o: Required<Omit<DispatcherOptions, 'logger' | 'pace'>> & Pick<DispatcherOptions, 'logger' | 'pace'>;
  readonly #loop = new DrainLoop<DrainReport>(
    () => this.drain(),
    (error) => {
      this.#o.logger?.error('outbox_drain_failed', { message: error instanceof Error ? error.message : String(error) });
      return emptyReport();
    },
  );

  // Upstreams whose every send of a round failed: held for the backoff of their failed rounds.
  readonly #holds: TargetHolds;
  // Rounds that leased rows and then failed (the store down under them): put back at the next drain.
  readonly #unsettled = new UnsettledRounds<DeliveryRow>((rows, owner, now) => this.#o.store.outbox.putBack(rows, owner, now));

  constructor(options: DispatcherOptions) {
    this.#o = {
      now: () => new Date(),
      random: Math.random,
      maxAttempts: 10,
      timeoutMs: 10_000,
      baseDelayMs: 500,
      maxDelayMs: 300_000,
      concurrency: defaultDeliveryConcurrency,
      ...options,
    };
    const { baseDelayMs, maxDelayMs, random } = this.#o;
    this.#holds = new TargetHolds((rounds) => backoffMs(rounds, baseDelayMs, maxDelayMs, random));
  }

  /** The gateway's pace (the HTTP layer tells it of the requests it serves); none: never paced. */
  get pace(): DrainPace | undefined {
    return this.#o.pace;
  }

  get leaseMs(): number {
    // Longer than a delivery can take (send, then read back), so a live holder never loses it.
    return 2 * this.#o.timeoutMs + 5_000;
  }

  /** Sends every delivery that is due now, round after round, until none is left (or the deadline). */
  async drain(options: { readonly deadline?: number } = {}): Promise<DrainReport> {
    const report = emptyReport();
    const outbox = this.#o.store.outbox;
    const { paused } = await drainRounds<DeliveryRow>(
      {
        now: this.#o.now,
        pace: this.#o.pace,
        limit: this.#o.concurrency,
        leaseMs: this.leaseMs,
        owner: this.owner,
        due: (now, limit) => roundOf((n, newest) => outbox.due(now, n, newest), limit, deliveryKey),
        claim: (rows, owner, now, leaseUntil) => outbox.claimMany(rows, owner, now, leaseUntil),
        process: async (rows, owner, each) => {
          // A row that failed (a store read threw) must not keep the others' ends from their commit.
          const done = await each(rows, (row) => this.#process(row, report).catch((error: unknown) => ({ error })));
          const ends = done.flatMap((d) => ('error' in d ? [] : [d]));
          // The round's ends in one commit, after every send of it answered: a crash before it
          // re-sends the round (each with its Idempotency-Key), as a crash before each row's own
          // settle did. The round waited for its slowest send before the next one either way.
          await outbox.settleRound(
            ends.map((e) => e.settlement),
            owner,
            this.#o.now().toISOString(),
          );
          const failed = done.find((d) => 'error' in d);
          if (failed) throw failed.error;
          const outcomes = ends.map((e) => [e.settlement.key.upstream_id, e.outcome] as const);
          const now = this.#o.now();
          for (const [upstream, until] of this.#holds.afterRound(outcomes, now.getTime())) {
            const at = new Date(until).toISOString();
            const deferred = await outbox.defer(upstream, at, now.toISOString());
            this.#o.logger?.error('outbox_upstream_held', { upstream, until: at, deferred });
          }
          return outcomes.some(([, outcome]) => ended(outcome));
        },
        unsettled: this.#unsettled,
      },
      options.deadline,
    );
    report.paused = paused;
    return report;
  }

  /** Drains soon, once, however often it is asked while a drain runs (after each write on Node). */
  kick(): Promise<DrainReport> {
    return this.#loop.kick();
  }

  /** Polls for due deliveries (retries whose backoff ended, other processes' orphans). */
  start(intervalMs: number): void {
    this.#loop.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Sends one leased row; how it ends is returned for the round's one commit (Dispatcher.drain), not written here. */
  async #process(row: DeliveryRow, report: DrainReport): Promise<RowEnd> {
    const store = this.#o.store;
    const settle = (state: DeliveryState, extra: Omit<LeaseOutcome<DeliveryState>, 'state'> = {}) => ({
      key: row,
      outcome: { state, ...extra },
    });
    const heldUntil = this.#holds.until(row.upstream_id, this.#o.now().getTime());
    if (heldUntil !== undefined) {
      // Written after the upstream was held (or leased before its rows were deferred): not sent.
      report.held++;
      return { outcome: 'held', settlement: settle('pending', { nextAttemptAt: new Date(heldUntil).toISOString(), unsent: true }) };
    }
    const upstream = (await this.#o.replicas(row.tenant_id)).find((u) => u.id === row.upstream_id);
    if (!upstream) {
      report.dead++;
      return { outcome: 'skipped', settlement: settle('dead', { error: 'the upstream is no longer a mirror or shadow of this tenant' }) };
    }
    const since = await store.outbox.lastDelivered(row.upstream_id, row.customer_id);
    if (since > row.version && !row.resync) {
      // A dead version retried after a later one was delivered: that one carried its changes. Not
      // a resync: it sends the customer's state as it is now, whatever was delivered since.
      report.delivered++;
      return { outcome: 'skipped', settlement: settle('delivered', { error: null }) };
    }
    let work = await deliveryWork(store, this.#o.dialects, row, upstream, since);
    if (!work) {
      report.dead++;
      return { outcome: 'skipped', settlement: settle('dead', { error: 'the customer is no longer there' }) };
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${this.#o.timeoutMs} ms`)), this.#o.timeoutMs);
    let outcome: DeliveryOutcome;
    try {
      // A resync reads what the provider holds first: what it cannot carry is named only where that
      // differs, and its extra metadata keys go. A copy it cannot read (one holding a NUL, which
      // reconcile names) gets every field, judged on nothing, rather than never being sent.
      if (work.resync && work.action === 'update') {
        const there = await this.#o.port
          .read(work.tenantId, upstream, work.customerId, work.fields, controller.signal)
          .catch(() => undefined);
        if (there) work = resyncOver(this.#o.dialects, work, there.fields);
      }
      outcome = await this.#o.port.deliver(work, controller.signal);
    } catch (error) {
      outcome = { kind: 'retry', error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    if (outcome.kind === 'delivered') {
      // Compared before settling: the next version cannot be sent until this one is settled, so
      // the copy read back is the one this delivery left (or drift made at the upstream).
      if (upstream.mode === 'shadow' && work.action !== 'delete') await this.#compare(work, report);
      report.delivered++;
      // Kept on the delivered row: the operator sees which change the provider never got.
      return { outcome: 'answered', settlement: settle('delivered', { error: outcome.notCarried ?? null }) };
    }
    if (outcome.kind === 'rejected' || row.attempts >= this.#o.maxAttempts) {
      report.dead++;
      return { outcome: outcome.kind === 'rejected' ? 'answered' : 'gave-up', settlement: settle('dead', { error: outcome.error }) };
    }
    report.retried++;
    const delay =
      outcome.retryAfterMs !== undefined
        ? Math.min(Math.max(0, outcome.retryAfterMs), maxRetryAfterMs)
        : backoffMs(row.attempts, this.#o.baseDelayMs, this.#o.maxDelayMs, this.#o.random);
    return {
      outcome: 'failed',
      settlement: settle('pending', { error: outcome.error, nextAttemptAt: new Date(this.#o.now().getTime() + delay).toISOString() }),
    };
  }

  /** Reads the customer back and records how it differs; a failed read is logged, not retried. */
  async #compare(work: DeliveryWork, report: DrainReport): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timed out')), this.#o.timeoutMs);
    try {
      const dialect = dialectOf(this.#o.dialects, work.upstream.dialect);
      await compareWithUpstream(this.#o.store, this.#o.port, dialect, work, controller.signal, this.#o.now(), report);
    } catch (error) {
      this.#o.logger?.error('shadow_read_failed', {
        upstream: work.upstream.id,
        message: error instanceof Error ? error.message : String(error),
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** One shadow comparison of a customer's fields (as of a version) with the upstream's copy, recorded. */
async function compareWithUpstream(
  store: Store,
  port: UpstreamPort,
  dialect: AnyDialect,
  work: Pick<DeliveryWork, 'tenantId' | 'upstream' | 'customerId' | 'version' | 'fields'>,
  signal: AbortSignal,
  now: Date,
  report?: DrainReport,
): Promise<{ checked: boolean; diffs: number }> {
  const copy = await port.read(work.tenantId, work.upstream, work.customerId, work.fields, signal);
  if (!copy) return { checked: false, diffs: 0 };
  const expected = port.expected(work.upstream, work.customerId, work.fields, copy.fields);
  const diffs = shadowDiff(expected, copy.fields, comparedFields(dialect));
  await recordComparison(store, work, diffs, copy.version, now);
  if (report) {
    report.compared++;
    if (diffs.length > 0) report.mismatched++;
  }
  return { checked: true, diffs: diffs.length };
}
