import { backoffMs } from '../outbox/dispatcher.ts';
import type { RowOutcome } from '../outbox/drain-loop.ts';
import type { Settlement } from '../store/lease.ts';
import type { AttemptRow, EndpointRow, WebhookDeliveryRow, WebhookDeliveryState } from './store.ts';

// What a round's sends come to (src/webhooks/dispatcher.ts sends them, then commits this): each
// send's attempt for the log, its row's settlement (delivered; pending again after a backoff with
// jitter while the retry window lasts; dead after it), what it says of its endpoint (answered,
// down, given up), the endpoints that answered after failures, and the deliveries given up.

/** What became of one leased row in a round. */
export interface Sent {
  readonly row: WebhookDeliveryRow;
  readonly endpoint: EndpointRow | undefined;
  /** The event's id, once its history was read (event-ids.ts). */
  readonly id?: string;
  /** Set when the row was not sent: why it is given up. */
  readonly unsendable?: string;
  readonly status: number | null;
  readonly error: string | null;
  readonly started: Date;
  readonly finished: Date;
}

/** The dispatcher's settings a round is judged by. */
export interface RoundRules {
  readonly baseDelayMs: number;
  readonly maxDelayMs?: number;
  readonly retryWindowMs: number;
  readonly random?: () => number;
  /** The tenant was reset since the round leased its rows: nothing of it is logged, settled or counted. */
  readonly resetSince: (tenantId: string) => boolean;
}

/** Counts the sends judged into `report`. */
export interface RoundCounts {
  delivered: number;
  retried: number;
  dead: number;
}

/** A delivery the round gives up, counted against its endpoint in the round's commit (WebhookStore.settleRound). */
export interface GivenUp {
  readonly endpoint: EndpointRow;
  readonly row: WebhookDeliveryRow;
}

export function judgeRound(sent: readonly Sent[], report: RoundCounts, o: RoundRules) {
  const settlements: Settlement<WebhookDeliveryRow, WebhookDeliveryState>[] = [];
  const outcomes: [string, RowOutcome][] = [];
  const attempts: AttemptRow[] = [];
  const recovered = new Set<string>();
  const givenUp: GivenUp[] = [];
  for (const s of sent) {
    const { row, endpoint } = s;
    if (o.resetSince(row.tenant_id)) continue;
    if (s.unsendable !== undefined || !endpoint) {
      report.dead++;
      settlements.push({ key: row, outcome: { state: 'dead', error: s.unsendable ?? 'the endpoint was removed' } });
      outcomes.push([row.endpoint_id, 'skipped']);
      continue;
    }
    attempts.push({
      id: crypto.randomUUID(),
      tenant_id: row.tenant_id,
      endpoint_id: row.endpoint_id,
      event_id: s.id ?? '',
      attempt: row.attempts,
      status: s.status,
      error: s.error,
      duration_ms: Math.max(0, s.finished.getTime() - s.started.getTime()),
      created_at: s.finished.toISOString(),
    });
    // Any HTTP answer says the endpoint is up (a 4xx is its own refusal); no answer says it is down.
    const answered = s.status !== null && (s.status < 500 || s.status > 599) && s.status !== 429;
    if (s.error === null) {
      outcomes.push([row.endpoint_id, 'answered']);
      report.delivered++;
      settlements.push({ key: row, outcome: { state: 'delivered', error: null } });
      if (endpoint.failures > 0) recovered.add(endpoint.id);
      continue;
    }
    const delay = backoffMs(row.attempts, o.baseDelayMs, o.maxDelayMs ?? 3600_000, o.random ?? Math.random);
    const next = s.finished.getTime() + delay;
    if (next <= Date.parse(row.created_at) + o.retryWindowMs) {
      report.retried++;
      outcomes.push([row.endpoint_id, answered ? 'answered' : 'failed']);
      settlements.push({ key: row, outcome: { state: 'pending', error: s.error, nextAttemptAt: new Date(next).toISOString() } });
    } else {
      outcomes.push([row.endpoint_id, answered ? 'answered' : 'gave-up']);
      report.dead++;
      settlements.push({ key: row, outcome: { state: 'dead', error: s.error } });
      givenUp.push({ endpoint, row });
    }
  }
  return { attempts, settlements, outcomes, recovered: [...recovered], givenUp };
}
