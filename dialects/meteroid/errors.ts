import * as v from 'valibot';
import type { ErrorCode, ErrorResponse, GatewayError, Issue } from '../../src/contract/dialect.ts';
import { withHint } from '../../src/contract/errors.ts';

// Meteroid's envelope: {"code","message"}. Codes stay within Meteroid's own ErrorCode enum (its
// generated clients decode `code` as that enum), even for statuses it answers in plain text.

export const errorCodesMeteroid = ['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN', 'UNAUTHORIZED', 'INTERNAL_SERVER_ERROR'] as const;
export type ErrorCodeMeteroid = (typeof errorCodesMeteroid)[number];

export const ErrorResponseMeteroid = v.strictObject({ code: v.picklist(errorCodesMeteroid), message: v.string() });
export type ErrorMeteroid = v.InferOutput<typeof ErrorResponseMeteroid>;

/** `billing_address.country`, `custom_taxes[0].rate`. */
export const fieldName = (path: readonly (string | number)[]): string =>
  path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');

const describe = (issue: Issue): string => {
  // A header is no body field: its message names it (`custgate-simulate: …`); prefixed with the
  // path it read "header.custgate-simulate: custgate-simulate: …".
  if (issue.path[0] === 'header') return issue.message;
  // serde names a missing field after its parent's path: "<parent>: missing field `same_as_billing`".
  const missing = issue.kind === 'missing' ? issue.path.at(-1) : undefined;
  const field = fieldName(missing === undefined ? issue.path : issue.path.slice(0, -1));
  const message = missing === undefined ? issue.message : `missing field \`${String(missing)}\``;
  return field === '' ? message : `${field}: ${message}`;
};

/** Wrong JSON types and missing fields fail deserialisation (422 in Meteroid); rule breaks are 400. */
const isDeserialization = (issue: Issue): boolean => issue.kind === 'type' || issue.kind === 'missing';

function invalidRequest(e: GatewayError): ErrorResponse {
  const issues = e.details.issues ?? [];
  const text = issues.length > 0 ? issues.map(describe).join('; ') : e.message;
  if (issues.some(isDeserialization)) {
    return { status: 422, body: { code: 'BAD_REQUEST', message: `Failed to deserialize the JSON body into the target type: ${text}` } };
  }
  return { status: 400, body: { code: 'BAD_REQUEST', message: `Invalid input: ${text}` } };
}

const fixed =
  (status: number, code: ErrorCodeMeteroid, message?: string) =>
  (e: GatewayError): ErrorResponse => ({ status, body: { code, message: message ?? e.message } satisfies ErrorMeteroid });

const table = {
  unauthenticated: (e) => fixed(401, 'UNAUTHORIZED', withHint('Invalid or missing Authorization header', e))(e),
  forbidden: fixed(403, 'FORBIDDEN', 'Forbidden'),
  not_found: fixed(404, 'NOT_FOUND', 'Resource not found'),
  invalid_request: invalidRequest,
  malformed_body: (e) => ({ status: 400, body: { code: 'BAD_REQUEST', message: `Invalid input: ${e.message}` } }),
  unsupported_media_type: fixed(415, 'BAD_REQUEST', 'Expected request with `Content-Type: application/json`'),
  payload_too_large: fixed(413, 'BAD_REQUEST'),
  headers_too_large: fixed(431, 'BAD_REQUEST'),
  malformed_request: fixed(400, 'BAD_REQUEST'),
  conflict: (e) =>
    e.details.field === 'alias'
      ? { status: 409, body: { code: 'CONFLICT', message: 'Another customer of this tenant already has this alias' } }
      : { status: 409, body: { code: 'CONFLICT', message: e.message } },
  // Meteroid takes no Idempotency-Key, so these two cannot happen; mapped for completeness.
  idempotency_mismatch: fixed(400, 'BAD_REQUEST'),
  idempotency_in_flight: fixed(409, 'CONFLICT'),
  precondition_failed: fixed(412, 'CONFLICT'),
  // Meteroid's ErrorCode enum has nothing closer for an upstream's failure.
  bad_gateway: fixed(502, 'INTERNAL_SERVER_ERROR'),
  upstream_unavailable: fixed(503, 'INTERNAL_SERVER_ERROR'),
  upstream_timeout: fixed(504, 'INTERNAL_SERVER_ERROR'),
  loop_detected: (e) => ({ status: 508, body: { code: 'INTERNAL_SERVER_ERROR', message: e.message } }),
  // The enum has no code of their own: the status says what happened, the code stays decodable.
  rate_limited: fixed(429, 'BAD_REQUEST'),
  unavailable: fixed(503, 'INTERNAL_SERVER_ERROR'),
  internal: fixed(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
} satisfies Record<ErrorCode, (e: GatewayError) => ErrorResponse>;

/** Every gateway error in Meteroid's envelope and status. */
export const renderErrorMeteroid = (e: GatewayError): ErrorResponse => table[e.code](e);
