import type * as v from 'valibot';
import type { Customer, CustomerPatch, IdKind } from '../../schemas/index.ts';
import type { BodyFormat, DialectClient } from './client.ts';
import type { Coverage, Translation } from './coverage.ts';
import type {
  Action,
  CredentialMinter,
  CredentialScheme,
  IssuedCredentials,
  Principal,
  RequestView,
  TokenOptions,
  VerifiedCredential,
} from './credentials.ts';
import type { GatewayError } from './errors.ts';
import type { DialectList } from './list.ts';

export type { Customer } from '../../schemas/index.ts';
export type { ErrorCode, Issue, IssueKind } from './errors.ts';
export { GatewayError, refusesValues, unexpectedAnswer, upstreamStatusError } from './errors.ts';
export * from './client.ts';
export * from './coverage.ts';
export * from './credentials.ts';

// The one contract between the gateway and a dialect. A dialect is a plain object (checked with
// `satisfies Dialect<…>`): it declares its routes, how it reads credentials and bodies, and maps
// its provider's wire format to and from the canonical customer. It never touches storage.

/**
 * What of the caller a render may see: its tenant and mode, not which credential it used, so one
 * rendered answer serves every key of the tenant in that mode (src/http/rendered-reads.ts).
 */
export type RenderPrincipal = Pick<Principal, 'tenantId' | 'livemode'>;

export interface RenderContext {
  /** Stripe-like `expand[]` paths the request asked for, already validated by the dialect. */
  readonly expand: readonly string[];
  readonly principal: RenderPrincipal;
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: unknown;
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
