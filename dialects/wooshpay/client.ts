import * as v from 'valibot';
import { type ClientWrite, type DialectClient, writableFields } from '../../src/contract/dialect.ts';
import { cannotCarryOf, readsOf } from '../shared/lens-coverage.ts';
import {
  encodeStripe,
  isCustomerIdStripe,
  listRequestStripe,
  objectsNotEmpty,
  idempotencyKeyTtlStripe,
  parseErrorStripe,
  parseListStripe,
} from '../stripe-like/client.ts';
import { parseCustomerStripe } from '../stripe-like/fields.ts';
import { coverageWooshpay } from './coverage.ts';
import { fieldsWooshpay } from './fields.ts';
import { fromPatch } from './from-patch.ts';

const collection = '/v1/customers';

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

const declared = cannotCarryOf(fieldsWooshpay);

/**
 * What the table declares (a shipping clear, a member-by-member shipping change), and a shipping
 * whose address has none of the members Wooshpay shows (`request` leaves it out: it would be a clear).
 */
function cannotCarry(write: ClientWrite): string[] {
  const fields = declared(write);
  const op = write.patch.shipping;
  if (op?.op === 'set' && !fields.includes('shipping')) {
    const shipping = fromPatch({ shipping: op }).body.shipping as { address?: Record<string, string> } | '' | undefined;
    if (!shipping || typeof shipping !== 'object' || Object.keys(shipping.address ?? {}).length === 0) fields.push('shipping');
  }
  return fields;
}

/** Wooshpay's customer (render's shape) -> the canonical state it shows. */
const parse = parseCustomerStripe(fieldsWooshpay);

export const clientWooshpay = {
  credentials: CredentialsWooshpay,
  reads: readsOf(fieldsWooshpay),
  sends: writableFields(coverageWooshpay),
  isId: isCustomerIdStripe,
  idempotencyKeyTtlMs: idempotencyKeyTtlStripe,
  create: (write, credentials) => ({ method: 'POST', path: collection, ...request(write, credentials) }),
  update: (id, write, credentials) => ({ method: 'POST', path: `${collection}/${encodeURIComponent(id)}`, ...request(write, credentials) }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  delete: (id, credentials) => ({ method: 'DELETE', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  parse,
  parseError: parseErrorStripe,
  cannotCarry,
  list: listRequestStripe(collection, auth),
  parseList: parseListStripe(parse),
  // Stripe's events, signed with Stripe-Signature (https://docs.stripe.com/api/events/types), as Wooshpay follows them.
  inboundWebhooks: 'stripe',
} satisfies DialectClient;
