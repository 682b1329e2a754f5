import { sha256Hex } from '../auth/index.ts';
import { GatewayError } from '../contract/errors.ts';
import type { Store } from '../store/index.ts';

export interface IdempotencyOptions {
  /** How long a finished key replays its response (Stripe: at least 24 hours). */
  readonly ttlMs: number;
  /** How long a first request may hold its key before another may take it over. */
  readonly leaseMs: number;
}

export type Begin =
  | { readonly kind: 'first'; readonly retried?: true }
  | { readonly kind: 'replay'; readonly status: number; readonly body: string };

export const maxKeyLength = 255;

/** A key this request holds: the write stores its response under it, atomically with the data. */
export interface HeldKey {
  readonly tenantId: string;
  readonly key: string;
  /** An earlier request with this key reached a proxy upstream and failed: it may hold the write. */
  readonly retried?: true;
}

const sentErrors = new WeakSet<object>();

/**
 * Marks a write's failure as one that came after its request reached a proxy upstream, which may
 * hold the write: the key is kept, so a retry with it recovers what was sent (src/upstream/proxy.ts)
 * instead of sending it a second time.
 */
export function sentUpstream<E>(error: E): E {
  if (typeof error === 'object' && error !== null) sentErrors.add(error);
  return error;
}

/** A write's answer, or the stored answer of the key's first request (`replayed`). */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly replayed?: true;
}

const mismatch = (key: string) =>
  new GatewayError(
    'idempotency_mismatch',
    `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  );

/** Stripe's Idempotency-Key semantics, per tenant. */
export class Idempotency {
  readonly #store: Store;
  readonly #options: IdempotencyOptions;

  constructor(store: Store, options: IdempotencyOptions = { ttlMs: 24 * 3600_000, leaseMs: 60_000 }) {
    this.#store = store;
    this.#options = options;
  }

  /**
   * Runs a write under the request's Idempotency-Key (none: just the write). The first request
   * with a key runs it, holding the key; a repeat with the same `fingerprint` (method, path and
   * body) gets the stored answer; a failed write releases the key for another try. Given several,
   * the first is held and a key held to any of them is the same request.
   */
  async around(
    tenantId: string,
    key: string | undefined,
    fingerprint: string | readonly string[],
    now: Date,
    write: (held: HeldKey | undefined) => Promise<Reply>,
  ): Promise<Reply> {
    if (key === undefined) return write(undefined);
    if (key.length === 0 || key.length > maxKeyLength) {
      throw new GatewayError('invalid_request', `Idempotency-Key must be 1 to ${maxKeyLength} characters.`, {
        issues: [{ path: ['header', 'idempotency-key'], kind: 'value', message: 'Invalid Idempotency-Key.' }],
      });
    }
    const [held, ...former] = await Promise.all((typeof fingerprint === 'string' ? [fingerprint] : fingerprint).map(sha256Hex));
    const begun = await this.begin(tenantId, key, held ?? '', now, former);
    if (begun.kind === 'replay') return { status: begun.status, body: begun.body, replayed: true };
    try {
      return await write({ tenantId, key, ...(begun.retried ? { retried: true as const } : {}) });
    } catch (error) {
      // Nothing was written here: the key may be used again, knowing whether an upstream may hold the write.
      const kept = typeof error === 'object' && error !== null && sentErrors.has(error);
      if (kept) await this.#store.markKeySent(tenantId, key).catch(() => undefined);
      else await this.abandon(tenantId, key, now.toISOString());
      throw error;
    }
  }

  /** Claims the key for this request, or returns what its first request answered. */
  async begin(tenantId: string, key: string, requestHash: string, now: Date, alsoSame: readonly string[] = []): Promise<Begin> {
    const other = (held: string) => held !== requestHash && !alsoSame.includes(held);
    const row = {
      tenant_id: tenantId,
      key,
      request_hash: requestHash,
      state: 'pending',
      status: null,
      body: null,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.#options.ttlMs).toISOString(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.#store.claimKey(row)) return { kind: 'first' };
      const existing = await this.#store.findKey(tenantId, key);
      if (!existing) continue; // released between the two statements: claim again
      const expired = existing.expires_at <= row.created_at;
      const abandoned = existing.state === 'pending' && Date.parse(existing.created_at) + this.#options.leaseMs <= now.getTime();
      if (existing.state === 'sent' && !expired) {
        if (other(existing.request_hash)) throw mismatch(key);
        if (await this.#store.reclaimKey(row, existing)) return { kind: 'first', retried: true };
        continue;
      }
      if (expired || abandoned) {
        if (await this.#store.reclaimKey(row, existing)) return { kind: 'first' };
        continue;
      }
      if (existing.state === 'pending' || existing.status === null || existing.body === null) {
        throw new GatewayError(
          'idempotency_in_flight',
          'There is currently another in-progress request using this Idempotency-Key. Please try again later.',
        );
      }
      if (other(existing.request_hash)) throw mismatch(key);
      return { kind: 'replay', status: existing.status, body: existing.body };
    }
    throw new GatewayError('idempotency_in_flight', 'The Idempotency-Key is contended. Please try again later.');
  }

  /**
   * The request failed before it wrote anything: the key may be used again. When the store cannot
   * take the release either (the failure was often the store's: a 503 that asks for a retry in a
   * second), it is asked again in the background for up to half the lease, so that retry is not
   * refused as in flight until the lease ends; the release drops this claim (`claimedAt`) only.
   */
  async abandon(tenantId: string, key: string, claimedAt: string): Promise<void> {
    const release = () => this.#store.releaseKey(tenantId, key, claimedAt);
    if (
      await release().then(
        () => true,
        () => false,
      )
    )
      return;
    const until = Date.now() + this.#options.leaseMs / 2;
    const again = (waitMs: number) => {
      if (Date.now() + waitMs > until) return;
      setTimeout(() => void release().catch(() => again(Math.min(waitMs * 2, 2_000))), waitMs);
    };
    again(100);
  }
}
