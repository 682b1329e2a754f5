import { BoundedMap } from '../contract/bounded-map.ts';
import { sha256Hex } from './crypto.ts';

// Verifying an HS256 token (decode, HMAC, claim checks) costs more server CPU than the rest of a
// read. A client sends the same token until it expires, so a token verified once is remembered
// by its hash (never the token itself) until its `exp`, bounded by `ttlMs` so a changed signing
// secret takes effect within that time, and by `size` entries (oldest dropped first).

interface Verified {
  readonly claims: Record<string, unknown>;
}

interface Entry<V> {
  readonly verified: V;
  readonly until: number;
}

export interface TokenCacheOptions {
  readonly ttlMs: number;
  readonly size: number;
}

export class VerifiedTokenCache<V extends Verified> {
  readonly #entries: BoundedMap<string, Entry<V>>;
  readonly #options: TokenCacheOptions;

  constructor(options: TokenCacheOptions) {
    this.#options = options;
    this.#entries = new BoundedMap(options.size);
  }

  /** `verify`'s answer for the token, from the cache while the token is current. */
  async verify(token: string, dialect: string, now: number, verify: () => Promise<V | undefined>): Promise<V | undefined> {
    if (this.#options.ttlMs <= 0 || this.#options.size <= 0) return verify();
    // The audience differs per dialect: the same token is a different question for each.
    const key = `${dialect}:${await sha256Hex(token)}`;
    const hit = this.#entries.get(key);
    if (hit) {
      if (hit.until > now) return hit.verified;
      this.#entries.delete(key);
    }
    const verified = await verify();
    const exp = verified?.claims.exp;
    // Only verified tokens are kept: a wrong one must not push good ones out.
    if (verified && typeof exp === 'number') {
      this.#entries.set(key, { verified, until: Math.min(exp * 1000, now + this.#options.ttlMs) });
    }
    return verified;
  }

  /** Forgets the verified tokens `drop` picks (a tenant's, once its signing key was found replaced). */
  forget(drop: (verified: V) => boolean): void {
    this.#entries.deleteWhere((entry) => drop(entry.verified));
  }
}
