import * as v from 'valibot';
import { type CustomerPatch, clear, type FieldName, isCurrencyCode, merge, set } from '../../schemas/index.ts';
import { type ClientWrite, type DialectClient, GatewayError, writableFields } from '../../src/contract/dialect.ts';
import {
  addressFromStripe,
  encodeStripe,
  isCustomerIdStripe,
  listRequestStripe,
  objectsNotEmpty,
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
 * The body of a create or update, as JSON (Wooshpay's reference documents application/json only)
 * or Stripe's form for an upstream added with `--encoding form`. A shipping hash without an
 * address cannot be sent (Stripe requires shipping[address][line1]… and a name): it is left out,
 * as the translation reports, and `cannotCarry` names it.
 */
function request(write: ClientWrite, credentials: Readonly<Record<string, string>>) {
  const out = fromPatch(write.patch).body;
  const shipping = out.shipping as { name?: string; address?: Record<string, string> } | '' | undefined;
  if (shipping && typeof shipping === 'object' && Object.keys(shipping.address ?? {}).length === 0) delete out.shipping;
  // The reference types shipping as an object: a clear has no form there.
  if (out.shipping === '') delete out.shipping;
  const body = objectsNotEmpty(out, write.current, write.patch.metadata?.op === 'set');
  const encoded = encodeStripe(body, write.encoding ?? 'json');
  return { headers: { authorization: `Basic ${btoa(`${credentials.secret_key ?? ''}:`)}`, ...encoded.headers }, body: encoded.body };
}

const auth = (credentials: Readonly<Record<string, string>>) => ({
  authorization: `Basic ${btoa(`${credentials.secret_key ?? ''}:`)}`,
  accept: 'application/json',
});

/**
 * A shipping clear (no form in the reference), a member-by-member shipping change, and a shipping
 * whose address has none of the members Wooshpay shows (`request` leaves it out: it would be a clear).
 */
function cannotCarry(write: ClientWrite): string[] {
  const op = write.patch.shipping;
  if (op?.op === 'clear') return ['shipping'];
  if (op?.op === 'merge') return ['shipping'];
  if (op?.op === 'set') {
    const shipping = fromPatch({ shipping: op }).body.shipping as { address?: Record<string, string> } | '' | undefined;
    if (!shipping || typeof shipping !== 'object' || Object.keys(shipping.address ?? {}).length === 0) return ['shipping'];
  }
  return [];
}

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
  create: (write, credentials) => ({ method: 'POST', path: collection, ...request(write, credentials) }),
  update: (id, write, credentials) => ({ method: 'POST', path: `${collection}/${encodeURIComponent(id)}`, ...request(write, credentials) }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  delete: (id, credentials) => ({ method: 'DELETE', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  parse,
  parseError: parseErrorStripe,
  cannotCarry,
  list: listRequestStripe(collection, auth),
  parseList: parseListStripe(parse),
} satisfies DialectClient;
