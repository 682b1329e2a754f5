// One drain ends when nothing is due *now*. A send that fails on a loaded machine (a time-out, a
// refused connection while a receiver's backlog is full) is retried after its backoff and holds
// its target (src/outbox/drain-loop.ts), so a test that drains once and then asserts what arrived
// fails by chance. Tests whose subject is not the retry drain as a poller would instead.

/** Anything with the outbox's or the webhook queue's `drain()`; its report counts per outcome. */
export interface Drainable<R> {
  drain(): Promise<R>;
}

/**
 * Drains until `done` holds (given the reports of every drain so far, summed) or `ms` pass, and
 * answers that sum: a test still asserts exactly what was delivered, and `retried` says how many
 * sends a loaded machine made it repeat.
 */
export async function drainUntil<R extends object>(
  dispatcher: Drainable<R>,
  done: (sum: R) => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<R> {
  const deadline = Date.now() + ms;
  let sum: R | undefined;
  for (;;) {
    const report = await dispatcher.drain();
    sum = sum ? added(sum, report) : report;
    if ((await done(sum)) || Date.now() >= deadline) return sum;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function added<R extends object>(a: R, b: R): R {
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [key, value] of Object.entries(b)) {
    const before = out[key];
    out[key] = typeof value === 'number' && typeof before === 'number' ? before + value : value;
  }
  return out as R;
}

/** Drains until every send of the summed reports ended (delivered or dead) `n` deliveries. */
export const drainSettled = <R extends { delivered: number; dead: number }>(dispatcher: Drainable<R>, n: number, ms?: number) =>
  drainUntil(dispatcher, (sum) => sum.delivered + sum.dead >= n, ms);

/** Drains until no delivery of `tenantId` is pending (delivered or dead, retries included). */
export const drainTenant = <R extends object>(
  dispatcher: Drainable<R>,
  outbox: { counts(tenantId?: string): Promise<{ pending: number }> },
  tenantId: string,
  ms?: number,
) => drainUntil(dispatcher, async () => (await outbox.counts(tenantId)).pending === 0, ms);
