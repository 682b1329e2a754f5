// Errors are data: the core and the pipeline raise a GatewayError with a canonical code, and the
// dialect that owns the request decides its status and envelope (Dialect.renderError).

export const errorCodes = [
  'unauthenticated', // no credential, or one that verifies as nothing
  'forbidden', // a valid credential that may not do this
  'not_found',
  'invalid_request', // the body or a parameter fails validation: see issues
  'malformed_body', // not decodable as the content type says
  'unsupported_media_type',
  'payload_too_large',
  'conflict', // an identifier that must be unique within the tenant is taken
  'idempotency_mismatch', // the key was used with other parameters
  'idempotency_in_flight', // the key's first request is still running
  'precondition_failed', // If-Match does not match the current version
  'rate_limited', // too many requests (or failed authentications) in the window: see retryAfterSeconds
  'unavailable', // the store cannot take the write now (SQLite locked by another process): retry
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/**
 * What is wrong with one part of the input: `unknown` (a parameter the provider does not take),
 * `missing` (required and absent), `empty` (an empty string where none is allowed), `type` (wrong
 * JSON type), `format` (right type, wrong shape: email, uuid, pattern), `value` (not one of the
 * allowed values or out of range).
 */
export type IssueKind = 'unknown' | 'missing' | 'empty' | 'type' | 'format' | 'value';

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
  /** rate_limited, unavailable: seconds until a retry can succeed (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
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

/** Headers an error response carries besides its body: Retry-After for a limit or a busy store. */
export function errorHeaders(e: GatewayError): Record<string, string> {
  return e.details.retryAfterSeconds === undefined ? {} : { 'retry-after': String(e.details.retryAfterSeconds) };
}
