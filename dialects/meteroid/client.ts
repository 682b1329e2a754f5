import * as v from 'valibot';
import {
  type AddressOp,
  type AddressPatch,
  type CustomerPatch,
  clear,
  defaultCurrency,
  type FieldName,
  isCurrencyCode,
  merge,
  set,
} from '../../schemas/index.ts';
import {
  type ClientResponse,
  type ClientWrite,
  type DialectClient,
  GatewayError,
  type Issue,
  shownAddress,
  shownText,
  unexpectedAnswer,
  upstreamStatusError,
  writableFields,
} from '../../src/contract/dialect.ts';
import { coverageMeteroid } from './coverage.ts';
import { vatCountry, vatType } from './mapping.ts';
import { fromPatch } from './from-patch.ts';
import { badPaging, count, jsonHeaders, listPageSize, readPage } from '../shared/client.ts';

const collection = '/api/v1/customers';

const reads = [
  'name',
  'alias',
  'email',
  'invoicing_emails',
  'phone',
  'currency',
  'address',
  'shipping',
  'invoicing_entity_id',
  'custom_taxes',
  'tax_ids',
  'tax_exempt',
] as const satisfies readonly FieldName[];

const CredentialsMeteroid = v.strictObject({ api_key: v.pipe(v.string(), v.minLength(1)) });

const headers = (credentials: Readonly<Record<string, string>>) => ({
  authorization: `Bearer ${credentials.api_key ?? ''}`,
  ...jsonHeaders,
});

const text = shownText;

const members = [
  ['line1', 'line1'],
  ['line2', 'line2'],
  ['city', 'city'],
  ['state', 'state'],
  ['zip_code', 'postal_code'],
  ['country', 'country'],
] as const satisfies readonly (readonly [string, keyof AddressPatch])[];

const addressFrom = (value: unknown): AddressOp => shownAddress(value, members);

/** Meteroid's customer (the response in the Meteroid API reference) -> the canonical state it shows. */
function parse(body: unknown) {
  if (typeof body !== 'object' || body === null || typeof (body as { id?: unknown }).id !== 'string') {
    return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  }
  const c = body as Record<string, unknown>;
  const patch: { -readonly [K in keyof CustomerPatch]: CustomerPatch[K] } = {
    name: text(c.name),
    alias: text(c.alias),
    email: text(c.billing_email),
    phone: text(c.phone),
    address: addressFrom(c.billing_address),
    invoicing_entity_id: text(c.invoicing_entity_id),
  };
  if (Array.isArray(c.invoicing_emails)) patch.invoicing_emails = set(c.invoicing_emails.filter((e): e is string => typeof e === 'string'));
  if (typeof c.currency === 'string' && isCurrencyCode(c.currency)) patch.currency = set(c.currency);
  const shipping = c.shipping_address as Record<string, unknown> | null | undefined;
  if (shipping && typeof shipping === 'object') {
    const sameAsBilling = shipping.same_as_billing === true;
    // Same as billing shows the billing address: the flag says it all.
    patch.shipping = merge(
      sameAsBilling ? { same_as_billing: set(true) } : { same_as_billing: set(false), address: addressFrom(shipping.address) },
    );
  } else {
    patch.shipping = merge({ same_as_billing: set(false), address: clear });
  }
  if (Array.isArray(c.custom_taxes)) {
    patch.custom_taxes = set(
      c.custom_taxes.map((t: Record<string, unknown>) => ({
        name: String(t.name ?? ''),
        rate: String(t.rate ?? '0'),
        tax_code: typeof t.tax_code === 'string' && t.tax_code !== '' ? t.tax_code : null,
      })),
    );
  }
  const vat = typeof c.vat_number === 'string' && c.vat_number !== '' ? c.vat_number : null;
  patch.tax_ids = merge({ [vatType]: vat === null ? clear : set({ type: vatType, value: vat, country: vatCountry(vat) }) });
  if (typeof c.is_tax_exempt === 'boolean') patch.tax_exempt = set(c.is_tax_exempt ? 'exempt' : 'none');
  return { id: c.id as string, patch };
}

/** `Invalid input: billing_address.country: …` -> the field it names. */
function issuesOf(message: string): Issue[] {
  const match = /^(?:Invalid input|Failed to deserialize the JSON body into the target type): ([A-Za-z_][\w.[\]]*): (.*)$/s.exec(message);
  if (!match?.[1]) return [];
  const path = match[1]
    .split(/[.[\]]+/)
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return [{ path, kind: 'value', message: match[2] ?? message }];
}

/** Meteroid's {"code","message"} -> a canonical error. */
function parseError(response: ClientResponse): GatewayError {
  // Meteroid answers {"code","message"}, or plain text for a body it cannot read (axum's rejections).
  const text = typeof response.body === 'string' && response.body !== '' ? response.body : undefined;
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<string, unknown>;
  if (typeof body.message !== 'string' && (text === undefined || (response.status !== 400 && response.status !== 422)))
    return unexpectedAnswer(response);
  const message = typeof body.message === 'string' ? body.message : (text ?? '');
  if (response.status === 400 || response.status === 422) {
    const issues = issuesOf(message);
    return new GatewayError('invalid_request', message, issues.length > 0 ? { issues } : {});
  }
  if (response.status === 409) return new GatewayError('conflict', message, message.includes('alias') ? { field: 'alias' } : {});
  return upstreamStatusError(response.status, message, response.retryAfterSeconds);
}

/** Scalars Meteroid's reference has no clear for: null and absent both leave them, "" is stored. */
const unclearable = ['alias', 'name', 'email', 'phone', 'currency', 'invoicing_entity_id'] as const satisfies readonly FieldName[];

/**
 * The clears Meteroid cannot make, where there is a value to clear, and every change its
 * translation reports it cannot express (an address member cleared alone, a value it refuses).
 */
function cannotCarry(write: ClientWrite): string[] {
  const fields = unclearable.filter((f) => write.patch[f]?.op === 'clear' && (write.current === undefined || write.current[f] !== null));
  const inexpressible = fromPatch(write.patch)
    .losses.filter((l) => l.kind === 'inexpressible')
    .map((l) => l.field);
  return [...new Set<string>([...fields, ...inexpressible])];
}

export const clientMeteroid = {
  credentials: CredentialsMeteroid,
  reads,
  sends: writableFields(coverageMeteroid),
  isId: (segment) => /^cus_[A-Za-z0-9]{1,64}$/.test(segment),
  create(write, credentials) {
    const body = fromPatch(write.patch).body;
    // Meteroid creates a customer with a name and a currency.
    body.name ??= write.current?.name ?? '';
    body.currency ??= write.current?.currency ?? defaultCurrency;
    return { method: 'POST', path: collection, headers: headers(credentials), body: JSON.stringify(body) };
  },
  update: (id, write, credentials) => ({
    method: 'PATCH',
    path: `${collection}/${encodeURIComponent(id)}`,
    headers: headers(credentials),
    body: JSON.stringify(fromPatch(write.patch).body),
  }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: headers(credentials) }),
  delete: (id, credentials) => ({ method: 'DELETE', path: `${collection}/${encodeURIComponent(id)}`, headers: headers(credentials) }),
  parse,
  parseError,
  cannotCarry,
  // Page numbers from 0 (https://docs.meteroid.com/api-reference/customers/list-customers).
  list: (next, credentials) => ({
    method: 'GET',
    path: `${collection}?page=${next ?? '0'}&per_page=${listPageSize}`,
    headers: headers(credentials),
  }),
  parseList: (body) =>
    readPage(body, 'data', parse, (page) => {
      const meta = (page.pagination_meta ?? {}) as Record<string, unknown>;
      const [at, pages] = [count(meta.page), count(meta.total_pages)];
      if (at === undefined || pages === undefined) return badPaging('pagination_meta');
      return at + 1 < pages ? String(at + 1) : undefined;
    }),
} satisfies DialectClient;
