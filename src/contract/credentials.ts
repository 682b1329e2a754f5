import type * as v from 'valibot';
import { GatewayError } from './errors.ts';

// The credential half of the dialect contract (src/contract/dialect.ts): what a dialect's auth
// reads from a request, what the gateway verified, the principal it makes, and what it mints.

/** The parts of a request a dialect may look at. Header names are lower case. */
/** What a caller does to a customer; a credential's grants are checked against it. */
export type Action = 'read' | 'create' | 'update' | 'delete';

export interface RequestView {
  readonly method: string;
  header(name: string): string | undefined;
}

/** Kinds of stored API key; each dialect that takes API keys names its own (usually its name). */
export type ApiKeyKind = string;

/**
 * How a dialect's callers present a credential, as data: the gateway's one parser
 * (src/auth/credential.ts) reads every dialect's headers by it.
 * - `api-key`: a stored key of `kind`, in the Authorization header (`Bearer <key>`, or
 *   `Basic base64(<key>:)` where `basic` is listed) or in a header of its own (`header`), which
 *   `with` headers must accompany (Zenskar's `x-api-key` + `organisation`). A token that starts with
 *   `prefix` is this key; it must then match `pattern`, or it is refused before any lookup.
 * - `jwt`: `Authorization: Bearer <JWT>` signed by the gateway for the dialect's audience; a
 *   `claims` schema the verified claims must satisfy (its output is what `principal` sees).
 */
export type CredentialScheme =
  | {
      readonly type: 'api-key';
      readonly kind: ApiKeyKind;
      readonly in:
        | { readonly authorization: readonly ('bearer' | 'basic')[] }
        | { readonly header: string; readonly with?: readonly string[] };
      readonly prefix?: string;
      readonly pattern: RegExp;
    }
  | {
      readonly type: 'jwt';
      readonly claims?: v.GenericSchema<unknown, Readonly<Record<string, unknown>>>;
      /** Headers a token must come with (Bigcapital's `organization-id`); the principal checks them. */
      readonly with?: readonly string[];
    };

/** A credential as read from the headers, not yet verified. */
export type CredentialClaim =
  | { readonly type: 'api-key'; readonly kind: ApiKeyKind; readonly secret: string }
  | { readonly type: 'jwt'; readonly token: string; readonly claims?: v.GenericSchema<unknown, Readonly<Record<string, unknown>>> };

/** A credential after the gateway verified it (hash lookup, or JWT signature and claims). */
export type VerifiedCredential =
  | {
      readonly type: 'api-key';
      readonly tenantId: string;
      readonly credentialId: string;
      readonly livemode: boolean;
    }
  | {
      readonly type: 'jwt';
      /** The tenant whose key signed the token; the gateway refuses a principal for any other. */
      readonly tenantId: string;
      readonly claims: Readonly<Record<string, unknown>>;
    };

/** Who is calling: the tenant every read and write is confined to. */
export interface Principal {
  readonly tenantId: string;
  /** Recorded on change events: a credential id, or `jwt:<subject>`. */
  readonly credentialId: string;
  readonly livemode: boolean;
}

/** The principal an API key verified as: its tenant, its id, its mode; any other credential is refused. */
export function apiKeyPrincipal(verified: VerifiedCredential): Principal | GatewayError {
  if (verified.type !== 'api-key') return new GatewayError('unauthenticated', 'Invalid API key.', { reason: 'invalid' });
  return { tenantId: verified.tenantId, credentialId: verified.credentialId, livemode: verified.livemode };
}

/** Hands a dialect fresh credentials for a tenant (CLI `tenant create`); secrets are stored hashed. */
export interface CredentialMinter {
  readonly tenantId: string;
  readonly tenantName: string;
  readonly livemode: boolean;
  /**
   * Creates and stores an API key `<prefix><random>` (48 base62 characters unless told otherwise);
   * returns the secret, which is shown once and stored only as a hash.
   */
  apiKey(
    kind: ApiKeyKind,
    prefix: string,
    options?: { readonly alphabet?: 'base62' | 'hex'; readonly length?: number; readonly livemode?: boolean },
  ): Promise<string>;
  /** Signs a JWT with this tenant's own key for this dialect's audience. */
  jwt(claims: Readonly<Record<string, unknown>>, options: { readonly subject: string; readonly ttlSeconds: number }): Promise<string>;
}

/** What `custgate token mint` may ask of a dialect's token; unset members take the dialect's defaults. */
export interface TokenOptions {
  readonly ttlSeconds?: number;
  /** Only for dialects whose tokens carry permissions; others refuse it (an Error). */
  readonly permissions?: readonly string[];
}

/** Credentials a tenant was issued, as the contract suite, the benchmark and README examples use them. */
export type IssuedCredentials = Readonly<Record<string, string>>;
