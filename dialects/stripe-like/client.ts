import qs from 'qs';
import * as v from 'valibot';
import type { CustomerFields } from '../../schemas/index.ts';
import { jsonHeaders } from '../shared/client.ts';
import {
  type ClientCustomer,
  type ClientRequest,
  type ClientResponse,
  GatewayError,
  type Issue,
  type IssueKind,
  shownText,
  unexpectedAnswer,
  upstreamStatusError,
} from '../../src/contract/dialect.ts';
import { badPaging, listPageSize, readPage } from '../shared/client.ts';

// The client half shared by the Stripe-like dialects: bracket-form bodies, Stripe's error
// envelope read back into canonical errors, Stripe's list pages.

/** A body as Stripe's SDKs send it: `metadata[plan]=gold`, `preferred_locales[0]=en`, "" clears. */
export const formBody = (body: Record<string, unknown>): string => qs.stringify(body, { arrayFormat: 'indices' });

export const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } as const;

/** How a Stripe-like client half encodes its bodies: JSON unless the upstream asks for Stripe's form. */
export type EncodingStripe = 'json' | 'form';

const addressCleared = { line1: '', line2: '', city: '', state: '', postal_code: '', country: '' } as const;

/**
 * Stripe's wire values in the shapes the providers' documents type: Wooshpay's and Connhex's
 * references type `address` and `metadata` as objects, so a clear is every member emptied ("" is
 * how Stripe empties a member), and a cleared metadata is each current key deleted. Metadata
 * replaced whole deletes the current keys the new value leaves out. Pure: returns a new body.
 */
export function objectsNotEmpty(
  body: Readonly<Record<string, unknown>>,
  current: Pick<CustomerFields, 'metadata'> | undefined,
  replacedMetadata: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  if (out.address === '') out.address = { ...addressCleared };
  if (out.metadata === '' || (replacedMetadata && typeof out.metadata === 'object' && out.metadata !== null)) {
    const kept = out.metadata === '' ? {} : (out.metadata as Record<string, string>);
    const removed = Object.keys(current?.metadata ?? {}).filter((key) => !Object.hasOwn(kept, key));
    out.metadata = { ...Object.fromEntries(removed.map((key) => [key, ''])), ...kept };
  }
  return out;
}

/** The body and its Content-Type, in the upstream's encoding. */
export function encodeStripe(body: Record<string, unknown>, encoding: EncodingStripe): { body: string; headers: Record<string, string> } {
  return encoding === 'form'
    ? { body: formBody(body), headers: { ...formHeaders } }
    : { body: JSON.stringify(body), headers: { ...jsonHeaders } };
}

/** `cus_…`, as Stripe and the Stripe-like dialects name customers. */
export const isCustomerIdStripe = (segment: string): boolean => /^cus_[A-Za-z0-9]{1,64}$/.test(segment);

/** null or "" is no value: a clear. */
export const textFrom = shownText;

const kindByCode: Readonly<Record<string, IssueKind>> = {
  parameter_unknown: 'unknown',
  parameter_missing: 'missing',
  parameter_invalid_empty: 'empty',
  parameter_invalid_type: 'type',
  email_invalid: 'format',
  resource_missing: 'unresolved',
};

const ErrorEnvelopeStripe = v.object({
  error: v.object({
    type: v.string(),
    code: v.optional(v.string()),
    message: v.optional(v.string()),
    param: v.optional(v.string()),
  }),
});

/** `address[country]` -> ['address', 'country']. */
export const paramPath = (param: string): string[] => param.split(/[[\]]+/).filter(Boolean);

/** Stripe's {"error":{type,code,message,param}} and its status -> a canonical error. */
export function parseErrorStripe(response: ClientResponse): GatewayError {
  const parsed = v.safeParse(ErrorEnvelopeStripe, response.body);
  if (!parsed.success) return unexpectedAnswer(response);
  const { type, code, message = 'The upstream provider refused the request.', param } = parsed.output.error;
  if (type === 'idempotency_error') {
    return code === 'idempotency_key_in_use'
      ? new GatewayError('idempotency_in_flight', message)
      : new GatewayError('idempotency_mismatch', message);
  }
  if (response.status === 404 && code === 'resource_missing') return new GatewayError('not_found', message);
  if (response.status === 400 && type === 'invalid_request_error') {
    const issues: Issue[] = param === undefined ? [] : [{ path: paramPath(param), kind: kindByCode[code ?? ''] ?? 'value', message }];
    return new GatewayError('invalid_request', message, issues.length > 0 ? { issues } : {});
  }
  return upstreamStatusError(response.status, message, response.retryAfterSeconds);
}

/** Stripe's list request: the largest page, after the last id seen (https://docs.stripe.com/api/pagination). */
export const listRequestStripe =
  (collection: string, headers: (credentials: Readonly<Record<string, string>>) => Record<string, string>) =>
  (next: string | undefined, credentials: Readonly<Record<string, string>>): ClientRequest => ({
    method: 'GET',
    path: `${collection}?limit=${listPageSize}${next === undefined ? '' : `&starting_after=${encodeURIComponent(next)}`}`,
    headers: headers(credentials),
  });

/** Stripe's `{object: "list", data, has_more}`: the next page starts after the last customer shown. */
export const parseListStripe = (parse: (body: unknown) => ClientCustomer | GatewayError) => (body: unknown) => {
  let last: string | undefined;
  const read = (item: unknown) => {
    const customer = parse(item);
    if (!(customer instanceof GatewayError)) last = customer.id;
    return customer;
  };
  return readPage(body, 'data', read, (page) => {
    if (page.has_more === false) return undefined;
    return page.has_more === true && last !== undefined ? last : badPaging('has_more and last id');
  });
};

/**
 * Stripe removes an Idempotency-Key once it is at least 24 hours old
 * (https://docs.stripe.com/api/idempotent_requests): a replay after that is a new request.
 */
export const idempotencyKeyTtlStripe = 24 * 60 * 60 * 1000;
