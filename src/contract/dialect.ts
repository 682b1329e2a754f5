import type * as v from 'valibot';
export type { Customer } from '../../schemas/index.ts';
import {
  type AddressOp,
  type AddressPatch,
  clear,
  type Customer,
  type CustomerPatch,
  type FieldName,
  type FieldOp,
  type IdKind,
  merge,
  set,
} from '../../schemas/index.ts';
import type { GatewayError } from './errors.ts';
import type { DialectList } from './list.ts';
import type { WebhookFormat } from './webhook-format.ts';

export type { ErrorCode, Issue, IssueKind } from './errors.ts';
import { GatewayError as GatewayErrorClass } from './errors.ts';
export { GatewayError, unexpectedAnswer, upstreamStatusError } from './errors.ts';

// The one contract between the gateway and a dialect. A dialect is a plain object (checked with
// `satisfies Dialect<…>`): it declares its routes, how it reads credentials and bodies, and maps
// its provider's wire format to and from the canonical customer. It never touches storage.

export type Action = 'read' | 'create' | 'update' | 'delete';
export type BodyFormat = 'json' | 'form';

/** The parts of a request a dialect may look at. Header names are lower case. */
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
  if (verified.type !== 'api-key') return new GatewayErrorClass('unauthenticated', 'Invalid API key.', { reason: 'invalid' });
  return { tenantId: verified.tenantId, credentialId: verified.credentialId, livemode: verified.livemode };
}

export interface RenderContext {
  /** Stripe-like `expand[]` paths the request asked for, already validated by the dialect. */
  readonly expand: readonly string[];
  readonly principal: Principal;
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: unknown;
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

/** Canonical fields plus the identifiers and read-only state a coverage table speaks of. */
export type CoverageField =
  | FieldName
  | 'uuid'
  | 'public_id'
  | 'number'
  | 'livemode'
  | 'delinquent'
  | 'balance'
  | 'created_at'
  | 'updated_at';

/** How one dialect carries one canonical field (the generated coverage matrix reads these). */
export interface FieldCoverage {
  /** The provider's name for it: `address.city`, `billingAddressCity`, `metadata[key]`. */
  readonly as: string;
  readonly read: boolean;
  /** Whether an update can set it, clear it, and whether a map/object merges or replaces. */
  readonly write: { readonly set: boolean; readonly clear: boolean; readonly mode?: 'merge' | 'replace' } | null;
  /** What a user should know: lossy conversions, wire forms of clear, limits. */
  readonly note?: string;
}

/** A field the dialect shows, sets and clears. */
export const readWrite = (as: string, note?: string) =>
  ({ as, read: true, write: { set: true, clear: true }, ...(note ? { note } : {}) }) as const satisfies FieldCoverage;

/** A field the dialect shows but no update of it can change. */
export const readOnly = (as: string, note?: string) =>
  ({ as, read: true, write: null, ...(note ? { note } : {}) }) as const satisfies FieldCoverage;

/** The canonical fields an update through a dialect can change: its coverage table's writable ones. */
export const writableFields = (coverage: Coverage): FieldName[] =>
  (Object.keys(coverage) as CoverageField[]).filter((f): f is FieldName => coverage[f]?.write != null && !identity.has(f));

const identity: ReadonlySet<CoverageField> = new Set([
  'uuid',
  'public_id',
  'number',
  'livemode',
  'delinquent',
  'balance',
  'created_at',
  'updated_at',
]);

/** Every canonical field, each either carried (how) or not (null): a missing field will not compile. */
export type Coverage = Readonly<Record<CoverageField, FieldCoverage | null>>;

/**
 * What a translation into a dialect could not carry faithfully: `unsupported` (the dialect has no
 * such field), `lossy` (carried, but converted with loss: ISO code -> country name, a tri-state ->
 * boolean), `inexpressible` (the field is there but the operation is not: clearing in Meteroid,
 * merging keys where the dialect replaces the whole map), `required` (the dialect needs a field
 * the source did not give).
 */
export type LossKind = 'unsupported' | 'lossy' | 'inexpressible' | 'required';

export interface Loss {
  /** Canonical field (or `field.member`), or for `required` the provider's field name. */
  readonly field: string;
  readonly kind: LossKind;
  readonly message: string;
}

export interface Translation {
  /** An update body in the dialect's wire form. */
  readonly body: Record<string, unknown>;
  /** Only the losses particular to this dialect; the gateway adds those its coverage implies. */
  readonly losses: readonly Loss[];
  /**
   * Fields carried exactly though the coverage table says the dialect replaces them whole: a
   * merge that names every member the replacement writes. The gateway then reports no loss.
   */
  readonly exact?: readonly FieldName[];
}

/**
 * An outbound request to a provider, relative to the upstream's base URL. The client half only
 * describes it; src/upstream/ sends it (one `fetch`, with a timeout, on Node and Workers alike).
 */
export interface ClientRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, starting with `/`, the customer id already encoded. */
  readonly path: string;
  /** Header names in lower case; auth included. */
  readonly headers: Readonly<Record<string, string>>;
  /** The encoded body (JSON text, or a bracket form for the Stripe-like ones). */
  readonly body?: string;
}

/** A provider's answer: its status and body (parsed JSON, or the text when it is not JSON). */
export interface ClientResponse {
  readonly status: number;
  readonly body: unknown;
  /** The answer's Retry-After, in whole seconds from now, where it had one. */
  readonly retryAfterSeconds?: number;
}

/** A customer as a provider shows it: its id there, and its state as a canonical patch. */
export interface ClientCustomer {
  readonly id: string;
  /**
   * Every field the client half reads back, set or cleared as the provider shows it; objects the
   * provider shows only part of (an address without line3) merge member by member, so applying
   * the patch to the local copy keeps what the provider cannot show.
   */
  readonly patch: CustomerPatch;
}

/** One page of a provider's customer list, as the client half reads it. */
export interface ClientPage {
  readonly customers: readonly ClientCustomer[];
  /** The token for `list` to ask the next page with; absent on the last page. */
  readonly next?: string | undefined;
}

/** One canonical write to send: the change, and the customer it applies to where there is one. */
export interface ClientWrite {
  readonly patch: CustomerPatch;
  /** The customer before the write (for providers whose updates need members the patch lacks). */
  readonly current?: Customer | undefined;
  /** The body encoding the upstream was added with; JSON unless it asked for Stripe's form. */
  readonly encoding?: BodyFormat | undefined;
}

/**
 * The client half: the outbound mirror of the server half, built on the same mapping (fromPatch,
 * render's inverse). Pure: no I/O.
 */
export interface DialectClient {
  /** The upstream credentials, shaped exactly as this dialect's entry of `tenant create --json`. */
  readonly credentials: v.GenericSchema<unknown, IssuedCredentials>;
  /** The canonical fields `parse` reads back (the coverage matrix shows them). */
  readonly reads: readonly FieldName[];
  /** The canonical fields `update` can send (set or clear). */
  readonly sends: readonly FieldName[];
  /** Does a path segment look like this provider's customer id? */
  isId(segment: string): boolean;
  create(write: ClientWrite, credentials: IssuedCredentials): ClientRequest;
  update(id: string, write: ClientWrite, credentials: IssuedCredentials): ClientRequest;
  retrieve(id: string, credentials: IssuedCredentials): ClientRequest;
  /** The provider's delete (or archive) of a customer; absent where its API documents none. */
  delete?(id: string, credentials: IssuedCredentials): ClientRequest;
  /**
   * The provider's permissions for `actions` that these credentials do not grant, read from the
   * grants they carry (a token's claims, unverified: the provider still decides). Absent where the
   * credentials carry no grants; an empty list when nothing is missing or the grants cannot be read.
   */
  missingGrants?(credentials: IssuedCredentials, actions: readonly Action[]): readonly string[];
  /** A successful answer's body -> the customer, or an error when it is not one. */
  parse(body: unknown): ClientCustomer | GatewayError;
  /**
   * One page of the provider's customer list: the first (`next` undefined) or the one a previous
   * `parseList` named. The page token is the client half's own (a cursor, a page number).
   */
  list?(next: string | undefined, credentials: IssuedCredentials): ClientRequest;
  /** A list answer -> its customers and the next page's token (none on the last), or an error when it is no page. */
  parseList?(body: unknown): ClientPage | GatewayError;
  /** A refusal in the provider's envelope -> the canonical error (issue paths in the provider's names). */
  parseError(response: ClientResponse): GatewayError;
  /**
   * The changes of this write the provider's documented API has no way to make (canonical field
   * paths, `email` or `address.email`): an update carrying one would leave the old value there.
   * Absent or empty: everything the client half sends is carried.
   */
  cannotCarry?(write: ClientWrite): readonly string[];
  /**
   * How the provider signs the events it sends when its customers change, which
   * POST /gateway/v1/upstreams/{id}/webhook then takes from it; absent where it sends none.
   */
  readonly inboundWebhooks?: WebhookFormat;
}

/** What a provider shows for a text field: a non-empty string sets it, anything else clears it. */
export const shownText = (value: unknown): FieldOp<string> => (typeof value === 'string' && value !== '' ? set(value) : clear);

/**
 * An address object as a provider shows it -> the members it shows, merged (what it cannot show,
 * line3 or a contact email, stays); no object clears. `members`: [provider key, canonical member].
 */
export function shownAddress(value: unknown, members: readonly (readonly [string, keyof AddressPatch])[]): AddressOp {
  if (value === null || typeof value !== 'object') return clear;
  const shown = value as Record<string, unknown>;
  const patch: { -readonly [K in keyof AddressPatch]: AddressPatch[K] } = {};
  for (const [from, to] of members) patch[to] = shownText(shown[from]);
  if (patch.country?.op === 'set') patch.country = set(patch.country.value.toUpperCase());
  return merge(patch);
}

/** An OpenAPI security scheme, as a dialect's auth reads credentials. */
export type SecurityScheme =
  | { readonly type: 'http'; readonly scheme: 'basic' | 'bearer'; readonly bearerFormat?: string; readonly description: string }
  | { readonly type: 'apiKey'; readonly in: 'header'; readonly name: string; readonly description: string };

/**
 * `DELETE` on a customer, where the provider documents one. The customer stays as a tombstone (its
 * ids and history kept, left out of lists); what a delete answers, and what a later retrieve or
 * delete of it answers, is each provider's own.
 */
export interface DialectDelete {
  /** The answer to a delete: status and body (undefined: no body, as a 204). */
  answer(customer: Customer, ctx: RenderContext): { readonly status: number; readonly body?: unknown };
  /**
   * A retrieve of a deleted customer: `tombstone` answers `tombstone(customer)` (Stripe's
   * `{id, object, deleted: true}`), `customer` renders it as before (an archive), `not_found` 404s.
   */
  readonly retrieve: 'tombstone' | 'customer' | 'not_found';
  tombstone?(customer: Customer, ctx: RenderContext): unknown;
  /** A second delete: answered again as the first (an archive is idempotent) or not found (Stripe). */
  readonly again: 'same' | 'not_found';
}

/** What the gateway's OpenAPI generator (src/openapi) needs beyond the rest of the contract. */
export interface DialectOpenApi {
  readonly securitySchemes: Readonly<Record<string, SecurityScheme>>;
  /** Alternatives; each names the schemes sent together (Zenskar's key and organisation). */
  readonly security: readonly (readonly string[])[];
  /** Every body renderError can give: the provider's error envelope(s). */
  readonly errorResponse: v.GenericSchema;
  /** Request headers read besides the credential (Zenskar's `apiversion`). */
  readonly headers?: readonly { readonly name: string; readonly description: string; readonly schema: v.GenericSchema }[];
}

/** How a dialect's callers prove who they are, and which tenant that makes them. */
export interface DialectAuth {
  /** The credentials it takes, in the order they are tried (the gateway reads the headers). */
  readonly credentials: readonly CredentialScheme[];
  /** Turns a verified credential into a principal for this action, or refuses it. */
  principal(verified: VerifiedCredential, req: RequestView, action: Action): Principal | GatewayError;
  /** For a shared root path: does this request belong to this dialect (by its credential's shape)? */
  ownsRequest?(req: RequestView): boolean;
  /** Request headers this dialect checks before the body (e.g. an API version); an error refuses. */
  checkRequest?(req: RequestView): GatewayError | undefined;
  /** Mints a new tenant's credentials (CLI `tenant create`). */
  issueCredentials(mint: CredentialMinter): Promise<IssuedCredentials>;
  /** A fresh JWT for the tenant (CLI `token mint`), for dialects that authenticate with one. */
  issueToken?(mint: CredentialMinter, options: TokenOptions): Promise<string>;
}

/** The provider's wire format: request bodies in, responses and errors out. */
export interface DialectWire<TUpdate, TCreate> {
  readonly bodies: readonly BodyFormat[];
  readonly request: {
    readonly update: v.GenericSchema<unknown, TUpdate>;
    readonly create: v.GenericSchema<unknown, TCreate>;
  };
  /**
   * Stripe-like `expand[]`: the paths a request may name (`?expand[]=` on a read is checked with
   * it) and those a validated body named.
   */
  readonly expand?: {
    readonly paths: v.GenericSchema<unknown, readonly string[]>;
    of(body: TUpdate | TCreate): readonly string[];
  };
  /** Canonical customer -> the provider's response body. Pure. */
  render(customer: Customer, ctx: RenderContext): unknown;
  /** Every error the gateway raises, in the provider's envelope and status. */
  renderError(error: GatewayError): ErrorResponse;
  /** `GET` on the collection: the provider's list parameters and envelope (src/contract/list.ts). */
  // biome-ignore lint/suspicious/noExplicitAny: each dialect's query type is its own
  readonly list?: DialectList<any>;
  /** `DELETE` on a customer, where the provider has one; absent, the route answers as an unknown one. */
  readonly delete?: DialectDelete;
  /** Status of a successful create (Stripe 200, most others 201). */
  readonly createdStatus: 200 | 201;
  /**
   * Failures only this provider has, by the name a dev server's `Custgate-Simulate` header gives
   * them (`card_declined`), as the provider answers them. Optional.
   */
  readonly simulations?: Readonly<Record<string, ErrorResponse>>;
  /** What the OpenAPI document needs beyond the schemas: security, error envelopes, headers. */
  readonly openapi: DialectOpenApi;
  /** The response header that carries the request id, as the provider's SDKs read it; default `x-request-id`. */
  readonly requestIdHeader?: string;
}

/** Between the provider's bodies and the canonical customer patch, both ways. All pure. */
export interface DialectTranslation<TUpdate, TCreate> {
  /** Validated update body -> canonical patch. */
  updatePatch(body: TUpdate): CustomerPatch;
  createPatch(body: TCreate): CustomerPatch;
  /** Canonical patch -> this dialect's update body (the inverse of updatePatch). */
  fromPatch(patch: CustomerPatch): Translation;
  /** Which canonical fields this dialect reads and writes, and under which names. */
  readonly coverage: Coverage;
}

/**
 * A dialect, by concern. `auth`, `wire` and `translation` serve the gateway's own API; the
 * upstream side (building a provider request, reading a provider response) is a further group.
 * Examples and the seed's response schema are test fixtures (DialectFixtures), not part of it.
 */
export interface Dialect<TUpdate = unknown, TCreate = TUpdate> {
  /** The dialect's key in the registry (dialects/index.ts); also its JWT audience suffix. */
  readonly name: string;
  readonly title: string;
  readonly routes: {
    /** Always mounted under this prefix, e.g. `/wooshpay`. */
    readonly prefix: `/${string}`;
    /** Collection path relative to the prefix, e.g. `/v1/customers`. */
    readonly collection: `/${string}`;
    readonly update: 'POST' | 'PATCH' | 'PUT';
    /**
     * Also mounted at the root. `true` where the path is this dialect's alone; `'shared'` where
     * another dialect serves the same path and `ownsRequest` decides (README, Dialects: `/customers/…`).
     */
    readonly root: boolean | 'shared';
  };
  /** How a path id is resolved within the tenant, in this order. */
  readonly ids: readonly IdKind[];
  /** Honours `Idempotency-Key` (Stripe semantics). */
  readonly idempotency: boolean;
  /** The most metadata keys the provider lets a customer hold; a write that grows past it is refused. */
  readonly metadataMaxKeys?: number;
  readonly auth: DialectAuth;
  readonly wire: DialectWire<TUpdate, TCreate>;
  readonly translation: DialectTranslation<TUpdate, TCreate>;
  /** The outbound half: talking to the real provider as a client (upstreams). */
  readonly client: DialectClient;
}

// Methods (not function properties) are bivariant in their parameters, so every concrete
// Dialect<Body> is assignable here without casts.
// biome-ignore lint/suspicious/noExplicitAny: the registry holds dialects of every body type
export type AnyDialect = Dialect<any, any>;
