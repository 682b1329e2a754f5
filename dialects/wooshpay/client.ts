import * as v from 'valibot';
import { type CustomerPatch, clear, type FieldName, isCurrencyCode, merge, set } from '../../schemas/index.ts';
import { type DialectClient, GatewayError, writableFields } from '../../src/contract/dialect.ts';
import {
  addressFromStripe,
  formBody,
  formHeaders,
  isCustomerIdStripe,
  listRequestStripe,
  parseErrorStripe,
  parseListStripe,
  textFrom,
} from '../stripe-like/client.ts';
import { coverageWooshpay } from './coverage.ts';
import { fromPatch } from './from-patch.ts';

const collection = '/v1/customers';

const reads = [
  'name',
  'email',
  'phone',
  'description',
  'address',
  'shipping',
  'metadata',
  'currency',
  'preferred_locales',
  'invoice_prefix',
  'next_invoice_sequence',
  'tax_exempt',
] as const satisfies readonly FieldName[];

const CredentialsWooshpay = v.strictObject({
  secret_key: v.pipe(v.string(), v.regex(/^sk_(test|live)_\S+$/, 'a secret key sk_test_… or sk_live_…')),
});

/**
 * The body of a create or update. A shipping hash without an address cannot be sent (Stripe
 * requires shipping[address][line1]… and a name): it is left out, as the translation reports.
 */
function body(patch: CustomerPatch): string {
  const out = fromPatch(patch).body;
  const shipping = out.shipping as { name?: string; address?: Record<string, string> } | '' | undefined;
  if (shipping && typeof shipping === 'object' && Object.keys(shipping.address ?? {}).length === 0) delete out.shipping;
  return formBody(out);
}

const auth = (credentials: Readonly<Record<string, string>>) => ({
  authorization: `Basic ${btoa(`${credentials.secret_key ?? ''}:`)}`,
  ...formHeaders,
});

const taxExempt = ['none', 'exempt', 'reverse'] as const;

/** Wooshpay's customer (render's shape) -> the canonical state it shows. */
function parse(body: unknown) {
  if (typeof body !== 'object' || body === null) return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  const c = body as Record<string, unknown>;
  if (c.object !== 'customer' || typeof c.id !== 'string')
    return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  const patch: { -readonly [K in keyof CustomerPatch]: CustomerPatch[K] } = {
    name: textFrom(c.name),
    email: textFrom(c.email),
    phone: textFrom(c.phone),
    description: textFrom(c.description),
    address: addressFromStripe(c.address),
    invoice_prefix: textFrom(c.invoice_prefix),
  };
  const shipping = c.shipping as Record<string, unknown> | null | undefined;
  // The shipping hash as shown: its name, phone and address (members merged); no hash, no shipping.
  patch.shipping =
    shipping && typeof shipping === 'object'
      ? merge({ name: textFrom(shipping.name), phone: textFrom(shipping.phone), address: addressFromStripe(shipping.address) })
      : clear;
  if (c.metadata && typeof c.metadata === 'object') patch.metadata = set({ ...(c.metadata as Record<string, unknown>) });
  const currency = typeof c.currency === 'string' ? c.currency.toUpperCase() : '';
  patch.currency = isCurrencyCode(currency) ? set(currency) : clear;
  if (Array.isArray(c.preferred_locales))
    patch.preferred_locales = set(c.preferred_locales.filter((l): l is string => typeof l === 'string'));
  patch.next_invoice_sequence = typeof c.next_invoice_sequence === 'number' ? set(c.next_invoice_sequence) : clear;
  const exempt = taxExempt.find((t) => t === c.tax_exempt);
  if (exempt) patch.tax_exempt = set(exempt);
  return { id: c.id, patch };
}

export const clientWooshpay = {
  credentials: CredentialsWooshpay,
  reads,
  sends: writableFields(coverageWooshpay),
  isId: isCustomerIdStripe,
  create: (write, credentials) => ({ method: 'POST', path: collection, headers: auth(credentials), body: body(write.patch) }),
  update: (id, write, credentials) => ({
    method: 'POST',
    path: `${collection}/${encodeURIComponent(id)}`,
    headers: auth(credentials),
    body: body(write.patch),
  }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  parse,
  parseError: parseErrorStripe,
  list: listRequestStripe(collection, auth),
  parseList: parseListStripe(parse),
} satisfies DialectClient;
