import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';

export interface JwtConfig {
  /**
   * CUSTGATE_JWT_SECRET, when the operator sets one (at least 32 bytes): each tenant's key is then
   * derived from it. Unset (the default), each tenant's key is random and kept in the database.
   */
  readonly secret?: string | undefined;
  readonly issuer: string;
  /**
   * Each dialect's tokens carry its own audience (this prefix and the dialect's name), so a token
   * for one is refused by another.
   */
  readonly audiencePrefix: string;
}

/** The audience of a dialect's tokens. */
export const audienceFor = (config: Pick<JwtConfig, 'audiencePrefix'>, dialect: string): string => `${config.audiencePrefix}${dialect}`;

/** Where a tenant's stored signing key is read and kept (the Store, or a script recorder for D1). */
export interface SigningKeyStore {
  findSigningKey(tenantId: string): Promise<{ readonly secret: string } | undefined>;
  insertSigningKey(key: { tenant_id: string; secret: string; created_at: string }): Promise<void>;
  /** The key a rotation replaced, and when it stops verifying (absent: no rotation support). */
  findRetiringSigningKey?(tenantId: string): Promise<{ readonly secret: string; readonly until: string } | undefined>;
}

export interface VerifiedJwt {
  /** The tenant whose key signed the token: the only tenant the token can ever name. */
  readonly tenantId: string;
  readonly claims: Record<string, unknown>;
}

// One algorithm, pinned: a token that names any other (including `none`) is refused by jose.
const algorithm = 'HS256';
// The key id is the tenant id (a UUID); anything longer is not ours and is not looked up.
const kidPattern = /^[0-9a-zA-Z-]{1,64}$/;

const encoder = new TextEncoder();

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** 32 bytes from the platform CSPRNG, base64url: a new tenant signing key. */
export const newSigningSecret = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

interface Keys {
  readonly key: Uint8Array;
  /** The replaced key during a rotation's overlap, with the moment (ms) it retires. */
  readonly retiring?: { readonly key: Uint8Array; readonly until: number } | undefined;
}

interface Cached extends Keys {
  readonly until: number;
}

/**
 * How often a tenant's keys are read again for a token whose signature the cached ones refuse, at
 * most: a token signed with a key another process just made (`tenant rotate-signing-key`) verifies
 * at once instead of after the cache's TTL, and a flood of forged tokens costs one read per tenant
 * per second, not one each.
 */
export const signingKeyRecheckMs = 1_000;

const sameKey = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i]);

/** The tenant a token names as its `kid`, lower-cased; undefined for anything that is not one of ours. */
function tokenTenant(token: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' && kidPattern.test(kid) ? kid.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

type VerifyOptions = Parameters<typeof jwtVerify>[2];

/** The token's claims if `keys` verify it; 'bad-signature' when its signature is no key's of them; else undefined. */
async function verifyWith(
  token: string,
  keys: Keys,
  options: VerifyOptions,
): Promise<Record<string, unknown> | 'bad-signature' | undefined> {
  try {
    const verified = await jwtVerify(token, keys.key, options).catch(async (error: unknown) => {
      // During a rotation's overlap, a token signed with the replaced key still verifies.
      if (!keys.retiring || keys.retiring.until <= Date.now()) throw error;
      return jwtVerify(token, keys.retiring.key, options);
    });
    return verified.payload;
  } catch (error) {
    return error instanceof errors.JWSSignatureVerificationFailed ? 'bad-signature' : undefined;
  }
}

/**
 * Signs and verifies tenants' JWTs. Every token carries its tenant as `kid`; verifying looks up
 * that tenant's key and nothing else, so a token signed with one tenant's key can never be read as
 * another's, and a key that leaks exposes one tenant only.
 */
export class JwtService {
  readonly #config: JwtConfig;
  readonly #keys: SigningKeyStore;
  readonly #master: ReturnType<typeof crypto.subtle.importKey> | undefined;
  readonly #cache = new Map<string, Cached>();
  readonly #cacheTtlMs: number;
  // When each tenant's keys were last read again for a refused signature (epoch ms).
  readonly #rechecked = new Map<string, number>();
  readonly #onKeyChanged: ((tenantId: string) => void) | undefined;

  constructor(
    config: JwtConfig,
    keys: SigningKeyStore,
    options: {
      readonly cacheTtlMs?: number;
      /** Called when a read again found the tenant's key replaced: what was verified with the old one is forgotten. */
      readonly onKeyChanged?: (tenantId: string) => void;
    } = {},
  ) {
    if (config.secret !== undefined && encoder.encode(config.secret).length < 32) {
      throw new Error('CUSTGATE_JWT_SECRET must be at least 32 bytes');
    }
    this.#config = config;
    this.#keys = keys;
    // The same bound as verified API keys (CUSTGATE_KEY_CACHE_TTL_MS): a replaced key stops
    // verifying, and its successor starts, within it.
    this.#cacheTtlMs = options.cacheTtlMs ?? 30_000;
    this.#onKeyChanged = options.onKeyChanged;
    this.#master =
      config.secret === undefined
        ? undefined
        : crypto.subtle.importKey('raw', encoder.encode(config.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  }

  /** The tenant's keys: derived from the operator's secret, or the stored ones (undefined: none). */
  async #keysFor(tenantId: string, now = Date.now()): Promise<Keys | undefined> {
    const hit = this.#cache.get(tenantId);
    if (hit && hit.until > now) return hit;
    return this.#read(tenantId, now);
  }

  /** The tenant's keys read (or derived) now, and cached. */
  async #read(tenantId: string, now: number): Promise<Keys | undefined> {
    let keys: Keys | undefined;
    if (this.#master) {
      keys = { key: new Uint8Array(await crypto.subtle.sign('HMAC', await this.#master, encoder.encode(`custgate-jwt:${tenantId}`))) };
    } else {
      const [row, retiring] = await Promise.all([this.#keys.findSigningKey(tenantId), this.#keys.findRetiringSigningKey?.(tenantId)]);
      const retiresAt = retiring ? Date.parse(retiring.until) : Number.NaN;
      keys = row
        ? {
            key: fromBase64url(row.secret),
            ...(retiring && retiresAt > now ? { retiring: { key: fromBase64url(retiring.secret), until: retiresAt } } : {}),
          }
        : undefined;
    }
    // Misses are not cached: a tenant's key may be created by another process at any time.
    if (keys) {
      if (this.#cache.size >= 10_000) this.#cache.clear();
      this.#cache.set(tenantId, { ...keys, until: now + this.#cacheTtlMs });
    }
    return keys;
  }

  async #keyFor(tenantId: string): Promise<Uint8Array | undefined> {
    return (await this.#keysFor(tenantId))?.key;
  }

  /** The verified tenant and claims, or undefined for any token that is not ours, valid and current. */
  async verify(token: string, dialect: string): Promise<VerifiedJwt | undefined> {
    const audience = audienceFor(this.#config, dialect);
    if (token.length > 8192) return undefined;
    const tenantId = tokenTenant(token);
    if (tenantId === undefined) return undefined;
    // Outside the catch below: a store that does not answer says nothing about the token, so its
    // error goes on to the caller (503 + Retry-After) instead of a 401 counted as a failed
    // authentication against the caller's address.
    const now = Date.now();
    const cached = this.#cache.get(tenantId);
    const keys = cached && cached.until > now ? cached : await this.#read(tenantId, now);
    if (!keys) return undefined;
    const options = { algorithms: [algorithm], issuer: this.#config.issuer, audience, requiredClaims: ['exp', 'sub'] };
    const first = await verifyWith(token, keys, options);
    if (first !== 'bad-signature') return first && { tenantId, claims: first };
    // Refused by keys read earlier: the tenant's key may have been replaced since (by another
    // process, or the CLI), so they are read again, at most once a second per tenant. A token of
    // the replaced key then fails here too, unless the rotation left it an overlap.
    if (keys !== cached || this.#master || now - (this.#rechecked.get(tenantId) ?? Number.NEGATIVE_INFINITY) < signingKeyRecheckMs) {
      return undefined;
    }
    if (this.#rechecked.size >= 10_000) this.#rechecked.clear();
    this.#rechecked.set(tenantId, now);
    const fresh = await this.#read(tenantId, now);
    if (!fresh || sameKey(fresh.key, keys.key)) return undefined;
    this.#onKeyChanged?.(tenantId);
    const again = await verifyWith(token, fresh, options);
    return again && again !== 'bad-signature' ? { tenantId, claims: again } : undefined;
  }

  /**
   * Makes sure the tenant has a signing key (a new random one kept in the store unless the key is
   * derived from CUSTGATE_JWT_SECRET) and returns it. `fresh`: the tenant was just created, so
   * there is nothing to read back (a D1 script recorder could not answer anyway).
   */
  async ensureKey(tenantId: string, now: string, fresh = false): Promise<Uint8Array> {
    if (!this.#master) {
      if (!fresh) {
        const existing = await this.#keyFor(tenantId);
        if (existing) return existing;
      }
      const secret = newSigningSecret();
      await this.#keys.insertSigningKey({ tenant_id: tenantId, secret, created_at: now });
      if (fresh) return fromBase64url(secret);
    }
    const key = await this.#keyFor(tenantId);
    if (!key) throw new Error(`no signing key for tenant ${tenantId}`);
    return key;
  }

  async sign(
    dialect: string,
    tenantId: string,
    key: Uint8Array,
    claims: Readonly<Record<string, unknown>>,
    options: { readonly subject: string; readonly ttlSeconds: number },
  ): Promise<string> {
    const audience = audienceFor(this.#config, dialect);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: algorithm, typ: 'JWT', kid: tenantId })
      .setIssuer(this.#config.issuer)
      .setAudience(audience)
      .setSubject(options.subject)
      .setIssuedAt()
      .setExpirationTime(`${options.ttlSeconds}s`)
      .sign(key);
  }
}
