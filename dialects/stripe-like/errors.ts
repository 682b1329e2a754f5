import * as v from 'valibot';
import type { ErrorCode, ErrorResponse, GatewayError, Issue, IssueKind } from '../../src/contract/dialect.ts';
import { withHint } from '../../src/contract/errors.ts';
import { idParamStripe } from './fields.ts';

// Stripe's envelope: {"error":{"type","code","message","param"}}; `param` in bracket form
// (`address[country]`), as Stripe names nested parameters.

export const ErrorStripe = v.strictObject({
  type: v.picklist(['invalid_request_error', 'idempotency_error', 'api_error', 'rate_limit_error']),
  code: v.optional(v.string()),
  message: v.string(),
  param: v.optional(v.string()),
});
export type ErrorStripe = v.InferOutput<typeof ErrorStripe>;

/** The envelope as a schema: the OpenAPI documents state it, the tests check answers against it. */
export const ErrorResponseStripe = v.strictObject({ error: ErrorStripe });

export const paramName = (path: readonly (string | number)[]): string =>
  path.map((part, i) => (i === 0 ? String(part) : `[${String(part)}]`)).join('');

const codeByKind = {
  unknown: 'parameter_unknown',
  missing: 'parameter_missing',
  empty: 'parameter_invalid_empty',
  type: 'parameter_invalid_type',
  format: 'parameter_invalid',
  value: 'parameter_invalid',
  // Stripe's code for an id that names nothing, in a parameter as in the path (https://docs.stripe.com/error-codes#resource-missing).
  unresolved: 'resource_missing',
} as const satisfies Record<IssueKind, string>;

function issueMessage(issue: Issue, param: string): string {
  switch (issue.kind) {
    case 'unknown':
      return `Received unknown parameter: ${param}`;
    case 'missing':
      return `Missing required param: ${param}.`;
    case 'empty':
      return `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`;
    case 'type':
      return `Invalid value for ${param}: ${issue.message}`;
    default:
      return issue.message;
  }
}

function invalidRequest(e: GatewayError): ErrorStripe {
  const issue = e.details.issues?.[0];
  if (!issue) return { type: 'invalid_request_error', code: 'parameter_invalid', message: e.message };
  // The body as a whole of the wrong type (a JSON array, string or number) names no parameter.
  if (issue.path.length === 0 && (issue.kind === 'type' || issue.kind === 'unknown')) {
    return {
      type: 'invalid_request_error',
      code: 'parameter_invalid_type',
      message: 'The request body must be a JSON object of parameters, or a form.',
    };
  }
  const param = paramName(issue.path);
  const code = param === 'email' && issue.kind === 'format' ? 'email_invalid' : codeByKind[issue.kind];
  return { type: 'invalid_request_error', code, message: issueMessage(issue, param), param };
}

export interface StripeErrorOptions {
  /** What a missing credential is called in messages ("API key", "token"). */
  readonly missingMessage: string;
  readonly invalidMessage: string;
}

type Rendered = { readonly status: number; readonly error: (e: GatewayError) => ErrorStripe };

/** Renders every gateway error as a Stripe-like provider does. */
export function stripeErrorRenderer(options: StripeErrorOptions): (e: GatewayError) => ErrorResponse {
  const table = {
    unauthenticated: {
      status: 401,
      error: (e) => ({
        type: 'invalid_request_error',
        message: withHint(e.details.reason === 'missing' ? options.missingMessage : options.invalidMessage, e),
      }),
    },
    forbidden: { status: 403, error: (e) => ({ type: 'invalid_request_error', code: 'permission_denied', message: e.message }) },
    // Stripe's resource_missing names the path's id whatever the resource (customer, webhook
    // endpoint, event: https://docs.stripe.com/error-codes#resource-missing); a 404 without a
    // reference is an unknown URL, which Stripe answers without a code.
    not_found: {
      status: 404,
      error: (e) =>
        e.details.reference === undefined
          ? { type: 'invalid_request_error', message: e.message }
          : { type: 'invalid_request_error', code: 'resource_missing', message: e.message, param: idParamStripe },
    },
    invalid_request: { status: 400, error: invalidRequest },
    malformed_body: { status: 400, error: (e) => ({ type: 'invalid_request_error', code: 'parameter_invalid', message: e.message }) },
    unsupported_media_type: {
      status: 415,
      error: (e) => ({ type: 'invalid_request_error', code: 'unsupported_media_type', message: e.message }),
    },
    payload_too_large: { status: 413, error: (e) => ({ type: 'invalid_request_error', code: 'request_too_large', message: e.message }) },
    headers_too_large: { status: 431, error: (e) => ({ type: 'invalid_request_error', message: e.message }) },
    malformed_request: { status: 400, error: (e) => ({ type: 'invalid_request_error', message: e.message }) },
    conflict: { status: 409, error: (e) => ({ type: 'invalid_request_error', code: 'lock_timeout', message: e.message }) },
    idempotency_mismatch: { status: 400, error: (e) => ({ type: 'idempotency_error', message: e.message }) },
    idempotency_in_flight: {
      status: 409,
      error: (e) => ({ type: 'idempotency_error', code: 'idempotency_key_in_use', message: e.message }),
    },
    precondition_failed: {
      status: 412,
      error: (e) => ({ type: 'invalid_request_error', code: 'precondition_failed', message: e.message }),
    },
    // An upstream's failure (proxy mode) is Stripe's own kind of failure: api_error, retryable.
    bad_gateway: { status: 502, error: (e) => ({ type: 'api_error', message: e.message }) },
    upstream_unavailable: { status: 503, error: (e) => ({ type: 'api_error', message: e.message }) },
    upstream_timeout: { status: 504, error: (e) => ({ type: 'api_error', message: e.message }) },
    loop_detected: { status: 508, error: (e) => ({ type: 'api_error', code: 'loop_detected', message: e.message }) },
    rate_limited: { status: 429, error: (e) => ({ type: 'rate_limit_error', code: 'rate_limit', message: e.message }) },
    // Stripe's lock_timeout is an object another request holds: a store held by another writer. A
    // store lost or silent (PostgreSQL restarted, a connection ended) is Stripe's own outage, a
    // plain api_error, as are the gateway's other unavailabilities.
    unavailable: {
      status: 503,
      error: (e) =>
        e.details.busy ? { type: 'api_error', code: 'lock_timeout', message: e.message } : { type: 'api_error', message: e.message },
    },
    internal: { status: 500, error: () => ({ type: 'api_error', message: 'An unexpected error occurred. Please retry.' }) },
  } satisfies Record<ErrorCode, Rendered>;
  return (e) => {
    const entry: Rendered = table[e.code];
    return { status: entry.status, body: { error: entry.error(e) } };
  };
}

/**
 * Stripe's card failures as a dev server's `Custgate-Simulate` header names them: a 402 with a
 * `card_error` (https://docs.stripe.com/error-codes, https://docs.stripe.com/declines/codes).
 */
export const simulationsStripe = {
  card_declined: {
    status: 402,
    body: {
      error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
        param: 'source',
      },
    },
  },
  expired_card: {
    status: 402,
    body: { error: { type: 'card_error', code: 'expired_card', message: 'Your card has expired.', param: 'exp_month' } },
  },
} as const satisfies Record<string, ErrorResponse>;
