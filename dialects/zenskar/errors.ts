import * as v from 'valibot';
import type { ErrorCode, ErrorResponse, GatewayError, Issue, IssueKind } from '../../src/contract/dialect.ts';
import { withHint } from '../../src/contract/errors.ts';

// Zenskar runs FastAPI behind AWS API Gateway: validation errors are pydantic's
// {"detail":[{"loc","msg","type"}]}, HTTP errors FastAPI's {"detail":"…"}, and the authorizer
// answers 401 {"message":"Unauthorized"} and an explicit deny 403 {"Message":"…"}.

/** pydantic v2's messages, by error type; request.ts uses them so a type can be read back. */
export const pydantic = {
  missing: 'Field required',
  string_type: 'Input should be a valid string',
  bool_type: 'Input should be a valid boolean',
  bool_parsing: 'Input should be a valid boolean, unable to interpret input',
  dict_type: 'Input should be a valid dictionary',
  list_type: 'Input should be a valid list',
  model_attributes_type: 'Input should be a valid dictionary or object to extract fields from',
  string_too_long: 'String should have at most 255 characters',
  uuid_type: 'UUID input should be a string, bytes or UUID object',
  uuid_parsing: 'Input should be a valid UUID',
  json_invalid: 'JSON decode error',
  extra_forbidden: 'Extra inputs are not permitted',
} as const;
export type PydanticType = keyof typeof pydantic;

/** Messages that carry the input (a country) are pydantic `value_error`s, as a validator raises them. */
export const valueError = (message: string): string => `Value error, ${message}`;

/** pydantic's EmailStr message (its own `value_error`, without the "Value error, " prefix). */
export const emailError = (input: unknown): string => `value is not a valid email address: '${String(input)}' is not an email address.`;

const valueErrorPrefixes = ['Value error, ', 'value is not a valid email address'];

const typeByMessage: ReadonlyMap<string, PydanticType> = new Map(
  Object.entries(pydantic).map(([type, msg]) => [msg, type as PydanticType]),
);

// Issues raised outside request.ts (the gateway's own body guards) carry no pydantic message.
const typeByKind = {
  unknown: 'extra_forbidden',
  missing: 'missing',
  empty: 'value_error',
  type: 'model_attributes_type',
  format: 'value_error',
  value: 'value_error',
  unresolved: 'value_error',
} as const satisfies Record<IssueKind, string>;

export interface ValidationErrorZenskar {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Every envelope above as one schema, for the OpenAPI documents (and checked against live answers). */
export const ErrorResponseZenskar = v.union([
  v.strictObject({
    detail: v.array(v.strictObject({ loc: v.array(v.union([v.string(), v.number()])), msg: v.string(), type: v.string() })),
  }),
  v.strictObject({ detail: v.string() }),
  v.strictObject({ message: v.string() }),
  v.strictObject({ Message: v.string() }),
]);

/** One issue as FastAPI reports it: `loc` from where the parameter was (`body`, or `query` for a list's). */
export function validationError(issue: Issue, source: 'body' | 'query' = 'body'): ValidationErrorZenskar {
  const loc = [source, ...issue.path];
  if (issue.kind === 'missing') return { loc, msg: pydantic.missing, type: 'missing' };
  // Only the gateway's body guard refuses a property (`__proto__`): pydantic would ignore it.
  if (issue.kind === 'unknown') return { loc, msg: pydantic.extra_forbidden, type: 'extra_forbidden' };
  const known = typeByMessage.get(issue.message);
  if (known) return { loc, msg: issue.message, type: known };
  if (valueErrorPrefixes.some((prefix) => issue.message.startsWith(prefix))) return { loc, msg: issue.message, type: 'value_error' };
  return { loc, msg: issue.message, type: typeByKind[issue.kind] };
}

const detail = (message: string) => ({ detail: message });
const unauthorized = { message: 'Unauthorized' };
const denied = { Message: 'User is not authorized to access this resource with an explicit deny' };
const bodyError = (type: PydanticType) => ({ detail: [{ loc: ['body'], msg: pydantic[type], type }] });

/** A refused header (apiversion) is a plain 400: FastAPI validates headers only as they are declared. */
const isHeaderIssue = (issue: Issue) => issue.path[0] === 'header';

function invalidRequest(e: GatewayError): ErrorResponse {
  const issues = e.details.issues ?? [];
  if (issues.length > 0 && issues.every(isHeaderIssue)) return { status: 400, body: detail(e.message) };
  if (issues.length === 0) return { status: 422, body: { detail: [{ loc: ['body'], msg: e.message, type: 'value_error' }] } };
  const source = e.details.source ?? 'body';
  return { status: 422, body: { detail: issues.map((issue) => validationError(issue, source)) } };
}

type Rendered = (e: GatewayError) => ErrorResponse;

const table = {
  unauthenticated: (e) => ({ status: 401, body: { message: withHint(unauthorized.message, e) } }),
  forbidden: () => ({ status: 403, body: denied }),
  not_found: () => ({ status: 404, body: detail('Not Found') }),
  invalid_request: invalidRequest,
  // FastAPI answers an unparsable JSON body, and a body of another media type, as a 422.
  malformed_body: () => ({ status: 422, body: bodyError('json_invalid') }),
  unsupported_media_type: () => ({ status: 422, body: bodyError('model_attributes_type') }),
  payload_too_large: () => ({ status: 413, body: detail('Request Entity Too Large') }),
  // Starlette's HTTPException body for the status, as FastAPI answers any HTTP error it raises.
  headers_too_large: () => ({ status: 431, body: detail('Request Header Fields Too Large') }),
  malformed_request: () => ({ status: 400, body: detail('Bad Request') }),
  conflict: (e) => ({
    status: 409,
    body: detail(e.details.field === 'external_id' ? 'A customer with this external_id already exists.' : e.message),
  }),
  idempotency_mismatch: (e) => ({ status: 400, body: detail(e.message) }),
  idempotency_in_flight: (e) => ({ status: 409, body: detail(e.message) }),
  precondition_failed: (e) => ({ status: 412, body: detail(e.message) }),
  bad_gateway: (e) => ({ status: 502, body: detail(e.message) }),
  upstream_unavailable: (e) => ({ status: 503, body: detail(e.message) }),
  upstream_timeout: (e) => ({ status: 504, body: detail(e.message) }),
  loop_detected: (e) => ({ status: 508, body: detail(e.message) }),
  // The API Gateway's throttling answer.
  rate_limited: () => ({ status: 429, body: { message: 'Too Many Requests' } }),
  unavailable: (e) => ({ status: 503, body: detail(e.message) }),
  internal: () => ({ status: 500, body: detail('Internal Server Error') }),
} satisfies Record<ErrorCode, Rendered>;

export function renderErrorZenskar(e: GatewayError): ErrorResponse {
  const render: Rendered = table[e.code];
  return render(e);
}
