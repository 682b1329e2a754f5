import * as v from 'valibot';
import type { ErrorCode, ErrorResponse, GatewayError, Issue } from '../../src/contract/dialect.ts';
import { withHint } from '../../src/contract/errors.ts';
import { organizationRequiredMessage } from './auth.ts';
import { type PropertyKind, propertyKindsBigcapital } from './request.ts';

// Bigcapital is a NestJS service: HttpException bodies are {"statusCode","message","error"?}, and
// the validation pipe's 400 lists every failing property with class-validator's constraint names.

export interface ValidationErrorBigcapital {
  property: string;
  value?: unknown;
  constraints: Record<string, string>;
}

export interface ErrorBigcapital {
  statusCode: number;
  message: string | ValidationErrorBigcapital[];
  error?: string;
}

/** The envelope as a schema, for the OpenAPI documents (and checked against live answers). */
export const ErrorResponseBigcapital = v.strictObject({
  statusCode: v.pipe(v.number(), v.integer()),
  message: v.union([
    v.string(),
    v.array(v.strictObject({ property: v.string(), value: v.optional(v.unknown()), constraints: v.record(v.string(), v.string()) })),
  ]),
  error: v.optional(v.string()),
});

/** class-validator's constraint name and message for an issue on a property of this kind. */
function constraint(kind: PropertyKind | undefined, issue: Issue, property: string): [string, string] {
  if (issue.kind === 'unknown') return ['whitelistValidation', `property ${property} should not exist`];
  if (kind === undefined) return ['isValid', issue.message];
  // A refusal that checked no value of the body (an upstream that cannot carry the change, a
  // provider's own refusal relayed) names none: its message is the reason, kept as given, where
  // the constraints below would say the property was empty.
  if (issue.kind === 'value' && issue.value === undefined) return ['isValid', issue.message];
  if (issue.kind === 'missing' || issue.kind === 'empty' || issue.value === undefined) {
    return ['isNotEmpty', `${property} should not be empty`];
  }
  if (typeof issue.value === 'string' && issue.message.startsWith('must be shorter')) return ['maxLength', `${property} ${issue.message}`];
  if (issue.kind === 'type') {
    if (kind === 'boolean') return ['isBoolean', `${property} must be a boolean value`];
    if (kind !== 'currency') return ['isString', `${property} must be a string`];
  }
  const byKind = {
    required: ['isNotEmpty', `${property} should not be empty`],
    text: ['isString', `${property} must be a string`],
    email: ['isEmail', `${property} must be an email`],
    country: ['isCountryName', `${property} must be a country name, such as "United States"`],
    boolean: ['isBoolean', `${property} must be a boolean value`],
    currency: ['isISO4217CurrencyCode', `${property} must be a valid ISO4217 currency code`],
  } as const satisfies Record<PropertyKind, readonly [string, string]>;
  return [...byKind[kind]];
}

const kindOf = (property: string): PropertyKind | undefined =>
  Object.hasOwn(propertyKindsBigcapital, property) ? propertyKindsBigcapital[property as keyof typeof propertyKindsBigcapital] : undefined;

/** One entry per property, every failed constraint in it: the validation pipe's 400 message. */
export function validationErrors(issues: readonly Issue[]): ValidationErrorBigcapital[] {
  const byProperty = new Map<string, ValidationErrorBigcapital>();
  for (const issue of issues) {
    // A body that is not an object fails as a whole.
    const property = issue.path.length === 0 ? 'body' : issue.path.join('.');
    const [name, message] =
      issue.path.length === 0 ? ['isObject', 'body must be an object'] : constraint(kindOf(property), issue, property);
    const entry = byProperty.get(property) ?? {
      property,
      ...(issue.value === undefined ? {} : { value: issue.value }),
      constraints: {},
    };
    entry.constraints[name] = message;
    byProperty.set(property, entry);
  }
  return [...byProperty.values()];
}

type Rendered = { readonly status: number; readonly body: (e: GatewayError) => ErrorBigcapital };

/** NestJS's body for an HttpException given a message: status, message and the status's name. */
const http = (status: number, error: string): Rendered => ({
  status,
  body: (e) => ({ statusCode: status, message: e.message, error }),
});

const table = {
  unauthenticated: {
    status: 401,
    body: (e) =>
      e.details.issues?.some((issue) => issue.path[1] === 'organization-id')
        ? { statusCode: 401, message: withHint(organizationRequiredMessage, e), error: 'Unauthorized' }
        : { statusCode: 401, message: withHint('Unauthorized', e) },
  },
  forbidden: { status: 403, body: () => ({ statusCode: 403, message: 'Forbidden resource', error: 'Forbidden' }) },
  // Unknown customers and unknown routes alike: Bigcapital's service error name, nothing more.
  not_found: { status: 404, body: () => ({ statusCode: 404, message: 'NotFoundError' }) },
  invalid_request: {
    status: 400,
    body: (e) => ({
      statusCode: 400,
      message: e.details.issues ? validationErrors(e.details.issues) : e.message,
      error: 'Bad Request',
    }),
  },
  malformed_body: http(400, 'Bad Request'),
  unsupported_media_type: http(415, 'Unsupported Media Type'),
  payload_too_large: http(413, 'Payload Too Large'),
  headers_too_large: http(431, 'Request Header Fields Too Large'),
  malformed_request: http(400, 'Bad Request'),
  conflict: http(409, 'Conflict'),
  idempotency_mismatch: http(400, 'Bad Request'),
  idempotency_in_flight: http(409, 'Conflict'),
  precondition_failed: http(412, 'Precondition Failed'),
  bad_gateway: http(502, 'Bad Gateway'),
  upstream_unavailable: http(503, 'Service Unavailable'),
  upstream_timeout: http(504, 'Gateway Timeout'),
  loop_detected: http(508, 'Loop Detected'),
  rate_limited: http(429, 'Too Many Requests'),
  unavailable: http(503, 'Service Unavailable'),
  internal: { status: 500, body: () => ({ statusCode: 500, message: 'Internal server error' }) },
} satisfies Record<ErrorCode, Rendered>;

export function renderErrorBigcapital(e: GatewayError): ErrorResponse {
  const entry: Rendered = table[e.code];
  return { status: entry.status, body: entry.body(e) };
}
