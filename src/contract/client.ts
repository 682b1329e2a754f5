import type * as v from 'valibot';
import {
  type AddressOp,
  type AddressPatch,
  clear,
  type Customer,
  type CustomerPatch,
  type FieldName,
  type FieldOp,
  merge,
  set,
} from '../../schemas/index.ts';
import type { Action, IssuedCredentials } from './credentials.ts';
import type { GatewayError } from './errors.ts';
import type { WebhookFormat } from './webhook-format.ts';

// The client half of the dialect contract (src/contract/dialect.ts's `client`): requests to the
// real provider and the reading of its answers, for upstreams (src/upstream/). Pure: no I/O.

/** How a body is encoded: JSON, or a Stripe-like bracket form. */
export type BodyFormat = 'json' | 'form';

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
  /** When the provider says it created the customer (ISO 8601), where its answer shows it. */
  readonly createdAt?: string | undefined;
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
  /**
   * The provider's count of the whole list, shown by lists paged by position (a page number):
   * there a create or a delete moves customers across pages while a walk is between them, and the
   * import checks each page against the one before (src/upstream/list-shift.ts). Absent on lists
   * paged by cursor, which a change does not move.
   */
  readonly total?: number | undefined;
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
  /**
   * How long the provider keeps an Idempotency-Key (ms), where it takes one: a create recorded
   * longer ago than this is looked for in the provider's list before it is sent again, as a
   * replay under a forgotten key would create it twice.
   */
  readonly idempotencyKeyTtlMs?: number;
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
 * Text as a provider whose API holds "" shows it (Zenskar's phone_number and address members,
 * Bigcapital's text properties, Meteroid's address members: strings in their references, "" among
 * them): "" is the "" it holds, not none.
 */
export const heldText = (value: unknown): FieldOp<string> => (typeof value === 'string' ? set(value) : clear);

/**
 * An address object as a provider shows it -> the members it shows, merged (what it cannot show,
 * line3 or a contact email, stays); no object clears the members it shows and keeps the others
 * too: a country it cannot show ("Atlantis" at a provider of ISO codes) is no address there, and
 * the local copy of a proxied write must not lose it for that (an address left with none of its
 * members is none). `members`: [provider key, canonical member, whether a "" shown is one held].
 */
export function shownAddress(value: unknown, members: readonly (readonly [string, keyof AddressPatch, boolean?])[]): AddressOp {
  const shown = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const patch: { -readonly [K in keyof AddressPatch]: AddressPatch[K] } = {};
  for (const [from, to, held] of members) patch[to] = held ? heldText(shown[from]) : shownText(shown[from]);
  if (patch.country?.op === 'set') patch.country = set(patch.country.value.toUpperCase());
  return merge(patch);
}
