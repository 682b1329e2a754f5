import * as v from 'valibot';
import type { FieldName } from '../../schemas/index.ts';
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
import { coverageConnhex } from './coverage.ts';
import { fromPatch } from './from-patch.ts';

const collection = '/customers';

// Seed 001's response shows only these.
const reads = ['name', 'email', 'phone', 'address'] as const satisfies readonly FieldName[];

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

function parse(body: unknown) {
  if (typeof body !== 'object' || body === null || typeof (body as { id?: unknown }).id !== 'string') {
    return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  }
  const c = body as Record<string, unknown>;
  return {
    id: c.id as string,
    patch: { name: textFrom(c.name), email: textFrom(c.email), phone: textFrom(c.phone), address: addressFromStripe(c.address) },
  };
}

export const clientConnhex = {
  credentials: CredentialsConnhex,
  reads,
  sends: writableFields(coverageConnhex),
  isId: isCustomerIdStripe,
  create: (write, credentials) => ({ method: 'POST', path: collection, ...request(write, credentials) }),
  update: (id, write, credentials) => ({ method: 'POST', path: `${collection}/${encodeURIComponent(id)}`, ...request(write, credentials) }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  delete: (id, credentials) => ({ method: 'DELETE', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  parse,
  parseError: parseErrorStripe,
  list: listRequestStripe(collection, auth),
  parseList: parseListStripe(parse),
} satisfies DialectClient;
