import { BoundedMap } from '../contract/bounded-map.ts';
import type { ApiKeyKind, VerifiedCredential } from '../contract/dialect.ts';
import { constantTimeEqual, sha256Hex } from './crypto.ts';

// API keys are long random secrets, so one SHA-256 is the right hash (a slow password hash would
// add nothing but latency): look the hash up, then compare it in constant time.

/** A stored credential as the verifier reads it: the secret's hash, never the secret. */
export interface CredentialRecord {
  readonly id: string;
  readonly tenant_id: string;
  readonly kind: string;
  readonly secret_hash: string;
  readonly livemode: number;
  readonly revoked_at: string | null;
}

/** Where the verifier finds a credential by its hash; the store implements it, auth does not import the store. */
export interface CredentialLookup {
  findCredentialByHash(secretHash: string): Promise<CredentialRecord | undefined>;
}

interface Cached {
  readonly row: CredentialRecord;
  readonly until: number;
}

export interface ApiKeyVerifierOptions {
  /**
   * How long a verified key is trusted without asking the store again. A revoked key stops
   * working in every process within this time; 0 disables the cache.
   */
  readonly cacheTtlMs: number;
  readonly cacheSize: number;
}

export class ApiKeyVerifier {
  readonly #store: CredentialLookup;
  readonly #options: ApiKeyVerifierOptions;
  readonly #cache: BoundedMap<string, Cached>;

  constructor(store: CredentialLookup, options: ApiKeyVerifierOptions = { cacheTtlMs: 30_000, cacheSize: 10_000 }) {
    this.#store = store;
    this.#options = options;
    this.#cache = new BoundedMap(options.cacheTtlMs > 0 ? options.cacheSize : 0);
  }

  async verify(kind: ApiKeyKind, secret: string, now: number): Promise<VerifiedCredential | undefined> {
    if (secret.length === 0 || secret.length > 512) return undefined;
    const hash = await sha256Hex(secret);
    let row = this.#fromCache(hash, now);
    if (!row) {
      row = await this.#store.findCredentialByHash(hash);
      if (!row) return undefined;
      this.#remember(hash, row, now);
    }
    if (!constantTimeEqual(row.secret_hash, hash) || row.kind !== kind) return undefined;
    if (row.revoked_at !== null && Date.parse(row.revoked_at) <= now) return undefined;
    return { type: 'api-key', tenantId: row.tenant_id, credentialId: row.id, livemode: row.livemode === 1 };
  }

  #fromCache(hash: string, now: number): CredentialRecord | undefined {
    const hit = this.#cache.get(hash);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.#cache.delete(hash);
      return undefined;
    }
    return hit.row;
  }

  #remember(hash: string, row: CredentialRecord, now: number): void {
    this.#cache.set(hash, { row, until: now + this.#options.cacheTtlMs });
  }
}
