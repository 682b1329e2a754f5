import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/index.ts';
import type { ClaimOwner } from './attempts.ts';

// A Node gateway process keeps a row in gateway_instances (migration 0040) and renews it every
// CUSTGATE_HEARTBEAT_MS, each time stating its `dead_after`: `missedBeats` beats from the renewal's
// start plus the upstream time-out. Past that, unheard from, the process is dead, and a request it
// sent before dying has been answered or timed out at the provider; its create claims are then
// taken over by the next write (attempts.ts) instead of after their own bound of 22 time-outs.
// A process whose own renewals stopped landing sends no create past the same bound (`live`), so
// being taken for dead while alive cannot put two creates in flight. Workers keep no row: a
// Worker's claims name no owner and keep their bound.

/** Renewals a live process may miss (a slow write, a busy event loop) before it is taken for dead. */
export const missedBeats = 3;

/** Rows of processes dead this long are deleted at start (their claims fall back to their bound). */
const pruneAfterMs = 86_400_000;

export interface Heartbeat extends ClaimOwner {
  stop(): void;
}

/**
 * Writes this process's row and renews it every `heartbeatMs`; resolves once the first row is
 * written (before any claim can name it). Undefined when `heartbeatMs` is 0.
 */
export async function startHeartbeat(
  store: Store,
  options: { readonly heartbeatMs: number; readonly upstreamTimeoutMs: number; readonly logger?: Logger },
): Promise<Heartbeat | undefined> {
  const { heartbeatMs, upstreamTimeoutMs } = options;
  if (heartbeatMs === 0) return undefined;
  const id = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const startedAt = new Date().toISOString();
  // The start of the last renewal that landed: its `dead_after` counts from there.
  let landed = 0;
  const beat = async () => {
    const at = Date.now();
    const row = {
      id,
      started_at: startedAt,
      beat_at: new Date(at).toISOString(),
      dead_after: new Date(at + missedBeats * heartbeatMs + upstreamTimeoutMs).toISOString(),
    };
    await store.instances.beat(row);
    landed = Math.max(landed, at);
  };
  await beat();
  await store.instances.prune(new Date(Date.now() - pruneAfterMs).toISOString()).catch(() => undefined);
  const timer = setInterval(() => {
    beat().catch((error: unknown) => {
      options.logger?.error('heartbeat_failed', { error: error instanceof Error ? error.message : String(error) });
    });
  }, heartbeatMs);
  timer.unref();
  return {
    id,
    live: (now = Date.now()) => now <= landed + missedBeats * heartbeatMs,
    stop: () => clearInterval(timer),
  };
}
