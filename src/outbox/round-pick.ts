// How both queues of deliveries make up a round (the outbox: src/outbox/dispatcher.ts; webhooks:
// src/webhooks/dispatcher.ts) while more are due than a round holds.

/** A queue's due rows: at most `limit`, the earliest due first, or with `newest` the latest due first. */
export type DueRows<Row> = (limit: number, newest: boolean) => Promise<Row[]>;

/**
 * A round's rows: the earliest due, and, when more are due than a round holds, half of it the
 * latest due. A backlog (a target back from an outage, its deferred rows all due when its hold
 * ends; a probe of one still down; a backfill's burst) is the earliest due: taken in whole rounds,
 * it held back what was written since to every other target until it was sent (webhooks: one
 * receiver down 3 s, another's events up to 3.7 s late; the outbox: a tenant's mirror write waited
 * for another tenant's backlog, N / 8 rounds). Any due row may go in any round, order kept: a
 * queue offers only the earliest pending version of a customer for a target, so the rows of both
 * picks are each customer's next, and a later version becomes due only once this one is settled.
 * `key` names a row (target, customer, version): one due in both picks goes once.
 */
export async function roundOf<Row>(due: DueRows<Row>, limit: number, key: (row: Row) => string): Promise<Row[]> {
  const earliest = await due(limit, false);
  const half = Math.floor(limit / 2);
  if (earliest.length < limit || half === 0) return earliest;
  const latest = await due(half, true);
  const taken = new Set(latest.map(key));
  const rest = earliest.filter((row) => !taken.has(key(row)));
  return [...rest.slice(0, limit - latest.length), ...latest];
}
