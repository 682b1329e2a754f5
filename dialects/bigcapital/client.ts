import * as v from 'valibot';
import {
  type AddressOp,
  type AddressPatch,
  type Customer,
  type CustomerPatch,
  clear,
  type FieldName,
  isCurrencyCode,
  merge,
  set,
  toCountryCode,
} from '../../schemas/index.ts';
import {
  type ClientRequest,
  type ClientResponse,
  type ClientWrite,
  type DialectClient,
  GatewayError,
  type Issue,
  type IssueKind,
  shownText,
  unexpectedAnswer,
  upstreamStatusError,
  writableFields,
} from '../../src/contract/dialect.ts';
import { coverageBigcapital } from './coverage.ts';
import { type AddressPrefix, plainFieldsBigcapital } from './mapping.ts';
import { fromPatch } from './from-patch.ts';
import { badPaging, count, jsonHeaders, listPageSize, readPage } from '../shared/client.ts';

const collection = '/api/customers';

const reads = [
  'customer_type',
  'name',
  'salutation',
  'first_name',
  'last_name',
  'company_name',
  'email',
  'phone',
  'mobile_phone',
  'website',
  'description',
  'address',
  'shipping',
  'currency',
  'active',
] as const satisfies readonly FieldName[];

/** `{"api_key"}` or `{"jwt","organization_id"}`, or the whole entry `tenant create` prints (the key is used). */
const CredentialsBigcapital = v.pipe(
  v.strictObject({
    api_key: v.optional(v.pipe(v.string(), v.minLength(1))),
    jwt: v.optional(v.pipe(v.string(), v.minLength(1))),
    organization_id: v.optional(v.pipe(v.string(), v.minLength(1))),
  }),
  v.check(
    (c) => c.api_key !== undefined || (c.jwt !== undefined && c.organization_id !== undefined),
    'needs api_key, or jwt with organization_id',
  ),
  v.transform(
    (c): Readonly<Record<string, string>> => Object.fromEntries(Object.entries(c).filter((e): e is [string, string] => e[1] !== undefined)),
  ),
);

function headers(credentials: Readonly<Record<string, string>>): Record<string, string> {
  if (credentials.api_key) return { ...jsonHeaders, authorization: `Bearer ${credentials.api_key}` };
  return { ...jsonHeaders, authorization: `Bearer ${credentials.jwt ?? ''}`, 'organization-id': credentials.organization_id ?? '' };
}

const text = shownText;

// Responses say Postcode where requests say Zipcode.
const addressMembers = [
  ['1', 'line1'],
  ['2', 'line2'],
  ['City', 'city'],
  ['State', 'state'],
  ['Postcode', 'postal_code'],
  ['Email', 'email'],
  ['Phone', 'phone'],
] as const satisfies readonly (readonly [string, keyof AddressPatch])[];

/** The flat `<prefix>…` properties as shown (an absent one has no value) -> the members, merged. */
function addressFrom(c: Record<string, unknown>, prefix: AddressPrefix): AddressOp {
  const patch: { -readonly [K in keyof AddressPatch]: AddressPatch[K] } = {};
  for (const [suffix, member] of addressMembers) patch[member] = text(c[`${prefix}${suffix}`]);
  const country = c[`${prefix}Country`];
  const code = typeof country === 'string' ? toCountryCode(country) : undefined;
  patch.country = code === undefined ? clear : set(code);
  return merge(patch);
}

/** Bigcapital's customer (the response in the Bigcapital API reference) -> the canonical state it shows. */
function parse(body: unknown) {
  if (typeof body !== 'object' || body === null || typeof (body as { id?: unknown }).id !== 'number') {
    return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  }
  const c = body as Record<string, unknown>;
  const patch: { -readonly [K in keyof CustomerPatch]: CustomerPatch[K] } = {
    name: text(c.displayName),
    address: addressFrom(c, 'billingAddress'),
    // Bigcapital's shipping is an address only: the recipient's name and phone stay.
    shipping: merge({ address: addressFrom(c, 'shippingAddress') }),
  };
  for (const [property, field] of Object.entries(plainFieldsBigcapital)) patch[field] = text(c[property]);
  if (typeof c.customerType === 'string' && c.customerType !== '') patch.customer_type = set(c.customerType);
  if (typeof c.currencyCode === 'string' && isCurrencyCode(c.currencyCode)) patch.currency = set(c.currencyCode);
  if (typeof c.active === 'boolean') patch.active = set(c.active);
  return { id: String(c.id), patch };
}

const kindByConstraint: Readonly<Record<string, IssueKind>> = {
  whitelistValidation: 'unknown',
  isNotEmpty: 'missing',
  isString: 'type',
  isBoolean: 'type',
  isEmail: 'format',
};

/** NestJS's {"statusCode","message": string | [{property, constraints}]} -> a canonical error. */
function parseError(response: ClientResponse): GatewayError {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<string, unknown>;
  if (Array.isArray(body.message)) {
    const issues: Issue[] = body.message.flatMap((entry: Record<string, unknown>) => {
      if (typeof entry?.property !== 'string') return [];
      const [name, message] = Object.entries((entry.constraints ?? {}) as Record<string, string>)[0] ?? ['isValid', 'is invalid'];
      return [{ path: entry.property.split('.'), kind: kindByConstraint[name] ?? 'value', message: String(message) }];
    });
    return new GatewayError('invalid_request', issues[0]?.message ?? 'The upstream refused the request.', { issues });
  }
  if (typeof body.message !== 'string') return unexpectedAnswer(response);
  return upstreamStatusError(response.status, body.message, response.retryAfterSeconds);
}

/**
 * The email properties, and where each keeps its value in the canonical customer. Bigcapital's
 * reference types every member a string, and Bigcapital refuses "" for an email: an email has no
 * clear there.
 */
const emailProperties = {
  email: { field: 'email', current: (c) => c?.email },
  billingAddressEmail: { field: 'address.email', current: (c) => c?.address?.email },
  shippingAddressEmail: { field: 'shipping.address.email', current: (c) => c?.shipping?.address?.email },
} as const satisfies Record<string, { field: string; current: (c: Customer | undefined) => string | null | undefined }>;

/**
 * The body of a PUT or create. Every PUT (and create) needs customerType and a non-empty
 * displayName: taken from the write, else from the customer as the gateway knows it. A clear is
 * "", the reference's type for every member but `active` (Bigcapital reads "" as no value); a
 * clear of an email or of `active` has no form and is left out (`cannotCarry` names it).
 */
function body(write: ClientWrite, create: boolean): string {
  const out = fromPatch(write.patch).body;
  const current = write.current;
  out.customerType ??= current?.customer_type ?? 'business';
  out.displayName ??= current?.name || current?.company_name || current?.email || 'Unnamed customer';
  if (create && write.patch.currency?.op === 'set') out.currencyCode = write.patch.currency.value;
  for (const [property, value] of Object.entries(out)) {
    if (value !== null) continue;
    if (Object.hasOwn(emailProperties, property) || property === 'active') delete out[property];
    else out[property] = '';
  }
  return JSON.stringify(out);
}

/** The clears Bigcapital's reference has no form for, where there is a value to clear. */
function cannotCarry(write: ClientWrite): string[] {
  const out = fromPatch(write.patch).body;
  const fields: string[] = [];
  for (const [property, { field, current }] of Object.entries(emailProperties)) {
    if (out[property] === null && (write.current === undefined || current(write.current))) fields.push(field);
  }
  if (out.active === null && write.current?.active !== true) fields.push('active');
  return fields;
}

export const clientBigcapital = {
  credentials: CredentialsBigcapital,
  reads,
  sends: writableFields(coverageBigcapital),
  isId: (segment) => /^[1-9][0-9]{0,14}$/.test(segment),
  create: (write, credentials): ClientRequest => ({
    method: 'POST',
    path: collection,
    headers: headers(credentials),
    body: body(write, true),
  }),
  update: (id, write, credentials): ClientRequest => ({
    method: 'PUT',
    path: `${collection}/${encodeURIComponent(id)}`,
    headers: headers(credentials),
    body: body(write, false),
  }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: headers(credentials) }),
  delete: (id, credentials) => ({ method: 'DELETE', path: `${collection}/${encodeURIComponent(id)}`, headers: headers(credentials) }),
  parse,
  parseError,
  cannotCarry,
  // Page numbers from 1, as Bigcapital's dynamic lists count them.
  list: (next, credentials) => ({
    method: 'GET',
    path: `${collection}?page=${next ?? '1'}&pageSize=${listPageSize}`,
    headers: headers(credentials),
  }),
  parseList: (body) =>
    readPage(body, 'customers', parse, (page) => {
      const paging = (page.pagination ?? {}) as Record<string, unknown>;
      const [at, size, total] = [count(paging.page), count(paging.pageSize), count(paging.total)];
      if (at === undefined || size === undefined || size === 0 || total === undefined) return badPaging('pagination');
      return at * size < total ? String(at + 1) : undefined;
    }),
} satisfies DialectClient;
