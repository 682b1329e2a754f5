// Errors are data: the core and the pipeline raise a GatewayError with a canonical code, and the
// dialect that owns the request decides its status and envelope (Dialect.renderError).

export const errorCodes = [
  'unauthenticated', // no credential, or one that verifies as nothing
  'forbidden', // a valid credential that may not do this
  'not_found',
  'invalid_request', // the body or a parameter fails validation: see issues
  'malformed_body', // not decodable as the content type says
  'malformed_request', // not a valid HTTP/1.1 request (the server's HTTP parser refused it before the app ran): 400
  'unsupported_media_type',
  'payload_too_large',
  'headers_too_large', // the request line and headers exceed what the server reads (Node's maxHeaderSize): 431
  'conflict', // an identifier that must be unique within the tenant is taken
  'idempotency_mismatch', // the key was used with other parameters
  'idempotency_in_flight', // the key's first request is still running
  'precondition_failed', // If-Match does not match the current version
  'rate_limited', // too many requests (or failed authentications) in the window: see retryAfterSeconds
  'unavailable', // the store cannot take the write now (SQLite locked by another process): retry
  'bad_gateway', // an upstream provider answered with something other than an answer or a refusal
  'upstream_unavailable', // an upstream provider could not be reached
  'upstream_timeout', // an upstream provider did not answer in time
  'loop_detected', // the request has already passed through this gateway (an upstream points back at it): 508
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/**
 * What is wrong with one part of the input: `unknown` (a parameter the provider does not take),
 * `missing` (required and absent), `empty` (an empty string where none is allowed), `type` (wrong
 * JSON type), `format` (right type, wrong shape: email, uuid, pattern), `value` (not one of the
 * allowed values or out of range), `unresolved` (an id, well formed, that names nothing the caller
 * can reach: a list's cursor; Stripe tells it apart as `resource_missing`).
 */
export type IssueKind = 'unknown' | 'missing' | 'empty' | 'type' | 'format' | 'value' | 'unresolved';

export interface Issue {
  /** Where in the provider's body (or `header`/`path`/`query` first for those). */
  readonly path: readonly (string | number)[];
  readonly kind: IssueKind;
  readonly message: string;
  readonly value?: unknown;
}

export interface GatewayErrorDetails {
  readonly issues?: readonly Issue[];
  /** conflict: which identifier; not_found: the reference that was looked up. */
  readonly field?: string;
  readonly reference?: string;
  /** unauthenticated: no credential at all, or one that does not verify. */
  readonly reason?: 'missing' | 'invalid';
  /**
   * unauthenticated: what the dialect expected, told from the request's own shape (another
   * dialect's credential, a missing companion header, an expired token), never from a lookup, so
   * it says nothing about whether a key exists. Each dialect adds it to its message.
   */
  readonly hint?: string;
  /**
   * unavailable: the store is held by another writer (SQLite's lock), not unreachable: Stripe's
   * lock_timeout, where a lost or silent database is its plain api_error.
   */
  readonly busy?: true;
  /** rate_limited, unavailable: seconds until a retry can succeed (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
  /** The issue paths name canonical fields (the core's checks): a dialect shows them in its own names (field-path.ts). */
  readonly canonical?: true;
  /**
   * Where the refused parameters were: the query string (a list's `limit`, `cursor`), else the body.
   * FastAPI's `loc` starts with it (Zenskar); the other providers name only the parameter.
   */
  readonly source?: 'query';
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: GatewayErrorDetails;
  constructor(code: ErrorCode, message: string, details: GatewayErrorDetails = {}) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }
}

export const isGatewayError = (e: unknown): e is GatewayError => e instanceof GatewayError;

/** A provider's authentication message with the gateway's hint after it, when it has one, as a sentence of its own
 * ("Unauthorized. The `organisation` header is missing: …", not "Unauthorized The …"). */
export const withHint = (message: string, e: GatewayError): string =>
  e.details.hint ? `${message}${/[.!?:]$/.test(message) ? '' : '.'} ${e.details.hint}` : message;

/** Headers an error response carries besides its body: Retry-After for a limit or a busy store. */
export function errorHeaders(e: GatewayError): Record<string, string> {
  return e.details.retryAfterSeconds === undefined ? {} : { 'retry-after': String(e.details.retryAfterSeconds) };
}

/**
 * What an upstream's answer means when its body says nothing more precise: the dialect client
 * halves use it for every status their envelope does not name. A refusal of the gateway's own
 * credentials, a rate limit or a server error is the upstream's failure, never the client's.
 */
/**
 * Whether an upstream's status refuses the request's values (400, 422): only then is a validation
 * list in its body (Zenskar's detail[], Bigcapital's message[]) the client's parameters. The same
 * list under a 5xx, a 401/403 or a 429 is the provider's failure, answered by its status.
 */
export const refusesValues = (status: number): boolean => status === 400 || status === 422;

export function upstreamStatusError(status: number, message: string, retryAfterSeconds?: number): GatewayError {
  if (status === 429) {
    const after = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
    return new GatewayError('rate_limited', `The upstream provider is limiting the gateway's requests (HTTP 429): ${message}`, after);
  }
  if (status === 404) return new GatewayError('not_found', message);
  if (status === 409) return new GatewayError('conflict', message);
  if (status === 412) return new GatewayError('precondition_failed', message);
  if (status === 413) return new GatewayError('payload_too_large', message);
  if (status === 400 || status === 422) return new GatewayError('invalid_request', message);
  if (status === 503) return new GatewayError('upstream_unavailable', `The upstream provider is unavailable (HTTP 503): ${message}`);
  if (status === 504) return new GatewayError('upstream_timeout', `The upstream provider timed out (HTTP 504): ${message}`);
  if (status === 401 || status === 403) {
    return new GatewayError('bad_gateway', `The upstream provider refused the gateway's credentials for it (HTTP ${status}).`);
  }
  return new GatewayError('bad_gateway', `The upstream provider failed (HTTP ${status}): ${message}`);
}

/** The most of an unexpected upstream answer an error quotes. */
const excerptChars = 120;

/** A short, single-line excerpt of an upstream's answer (control characters folded into spaces). */
export function answerExcerpt(body: unknown): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: folding control characters is the point
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > excerptChars ? `${line.slice(0, excerptChars)}…` : line;
}

/**
 * An upstream answer outside the error envelope its dialect documents: a 4xx there is not the
 * client's mistake the provider explained, so it is the provider's failure (502) quoting its status
 * and a bounded excerpt; a rate limit, an outage and a refusal of the gateway's credentials keep
 * their meaning.
 */
export function unexpectedAnswer(response: {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfterSeconds?: number;
}): GatewayError {
  const { status, body } = response;
  const excerpt = answerExcerpt(body);
  if ([401, 403, 429, 503, 504].includes(status)) return upstreamStatusError(status, excerpt, response.retryAfterSeconds);
  return new GatewayError('bad_gateway', `The upstream provider answered HTTP ${status} outside its documented errors: ${excerpt}`);
}
