import { GatewayError } from '../contract/errors.ts';
import type { ImportRow } from '../store/index.ts';

// Who runs an import (#27). Starting one is a single conditional write of its checkpoint row
// (ImportRepository.claim in src/store/imports.ts), so of two starts in different processes on one
// database exactly one wins. The winner's claim lasts `importLeaseMs` and is renewed with every
// checkpoint and before every wait; an import that stops cleanly (its page limit, or a shutdown)
// releases it at once, and one whose process died is taken over when the lease lapses, or at once
// when the starter can tell the holder's process is gone (src/upstream/process-holder.ts).

/**
 * How long a claim lasts without renewal: longer than the longest single wait of an import (a
 * provider's Retry-After is capped at two minutes), so a live holder never loses it.
 */
export const importLeaseMs = 5 * 60_000;

/**
 * The slowest `rate` an import (or a backfill) takes, per second: one customer every 100 s. A wait
 * between two customers stays well inside Node's longest timer (about 24.8 days; past it Node
 * waits 1 ms, so `1e-7` ran at full speed) and inside a claim a dead holder's successor elsewhere
 * waits out (each wait renews it for its own length).
 */
export const minRate = 0.01;

export interface LeaseHolder {
  /** Unique to this process (or Worker isolate) and this start. */
  readonly id: string;
  /** True when the holder named is known to be gone (its process exited); false when unknown. */
  readonly gone?: (holder: string) => boolean;
}

/** A holder that cannot tell whether another is alive (Workers): a dead one's claim lapses. */
export const randomHolder = (): LeaseHolder => ({ id: `isolate:${crypto.randomUUID()}` });

export const leaseUntil = (at: Date, extraMs = 0): string => new Date(at.getTime() + importLeaseMs + extraMs).toISOString();

/** True while someone holds the import: it is running and its holder's lease has not lapsed. */
export const heldBy = (row: ImportRow | undefined, at: Date): string | undefined =>
  row?.state === 'running' && row.lease_owner !== null && row.lease_until !== null && Date.parse(row.lease_until) >= at.getTime()
    ? row.lease_owner
    : undefined;

export function runningAlready(upstreamId: string, row: ImportRow | undefined): GatewayError {
  const at = row ? ` (${row.pages} pages, ${row.seen} customers so far)` : '';
  // Its holder renews the claim with every page: one whose process died stops renewing it, and
  // a start once it lapsed resumes the import where it stopped.
  const until = row?.lease_until
    ? ` Its holder's claim lasts until ${row.lease_until} unless renewed (each page renews it): if that process is gone, a start after then resumes the import.`
    : '';
  return new GatewayError(
    'conflict',
    `An import from upstream ${upstreamId} is running already${at}: GET /gateway/v1/upstreams/${upstreamId}/import shows its progress.${until}`,
  );
}

/** Thrown inside a run whose claim another process took over (after it lapsed): the run stops writing. */
export class LeaseLost extends Error {
  constructor(upstreamId: string) {
    super(`The import from upstream ${upstreamId} was taken over by another process; this one stopped.`);
    this.name = 'LeaseLost';
  }
}
