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
import { missingGrantsConnhex } from './auth.ts';
import { coverageConnhex } from './coverage.ts';
import { fieldsConnhex } from './fields.ts';
import { fromPatch } from './from-patch.ts';

const collection = '/customers';

const CredentialsConnhex = v.strictObject({ token: v.pipe(v.string(), v.regex(/^[\w-]+\.[\w-]+\.[\w-]*$/, 'a JWT')) });

const auth = (credentials: Readonly<Record<string, string>>) => ({
  authorization: `Bearer ${credentials.token ?? ''}`,
  accept: 'application/json',
});

/**
 * JSON, as Connhex's reference shows its body (Stripe's form only for an upstream added with
 * `--encoding form`); the reference marks the body required, so an update with nothing Connhex
 * carries is `{}`, never an empty request.
 */
function request(write: ClientWrite, credentials: Readonly<Record<string, string>>) {
  const encoded = encodeStripe(objectsNotEmpty(fromPatch(write.patch).body, write.current, false), write.encoding ?? 'json');
  return { headers: { ...auth(credentials), ...encoded.headers }, body: encoded.body };
}

const parse = parseCustomerStripe(fieldsConnhex);

export const clientConnhex = {
  credentials: CredentialsConnhex,
  reads: readsOf(fieldsConnhex),
  sends: writableFields(coverageConnhex),
  isId: isCustomerIdStripe,
  idempotencyKeyTtlMs: idempotencyKeyTtlStripe,
  create: (write, credentials) => ({ method: 'POST', path: collection, ...request(write, credentials) }),
  update: (id, write, credentials) => ({ method: 'POST', path: `${collection}/${encodeURIComponent(id)}`, ...request(write, credentials) }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  delete: (id, credentials) => ({ method: 'DELETE', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  missingGrants: (credentials, actions) => missingGrantsConnhex(credentials.token ?? '', actions),
  parse,
  parseError: parseErrorStripe,
  cannotCarry: cannotCarryOf(fieldsConnhex),
  list: listRequestStripe(collection, auth),
  parseList: parseListStripe(parse),
  // Stripe's events, signed with Stripe-Signature (https://docs.stripe.com/api/events/types), as Connhex follows them.
  inboundWebhooks: 'stripe',
} satisfies DialectClient;
