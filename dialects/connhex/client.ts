import * as v from 'valibot';
import type { FieldName } from '../../schemas/index.ts';
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
import { coverageConnhex } from './coverage.ts';
import { fromPatch } from './from-patch.ts';

const collection = '/customers';

// Seed 001's response shows only these.
const reads = ['name', 'email', 'phone', 'address'] as const satisfies readonly FieldName[];

const CredentialsConnhex = v.strictObject({ token: v.pipe(v.string(), v.regex(/^[\w-]+\.[\w-]+\.[\w-]*$/, 'a JWT')) });

const auth = (credentials: Readonly<Record<string, string>>) => ({ authorization: `Bearer ${credentials.token ?? ''}`, ...formHeaders });

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
  create: (write, credentials) => ({
    method: 'POST',
    path: collection,
    headers: auth(credentials),
    body: formBody(fromPatch(write.patch).body),
  }),
  update: (id, write, credentials) => ({
    method: 'POST',
    path: `${collection}/${encodeURIComponent(id)}`,
    headers: auth(credentials),
    body: formBody(fromPatch(write.patch).body),
  }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: auth(credentials) }),
  parse,
  parseError: parseErrorStripe,
  list: listRequestStripe(collection, auth),
  parseList: parseListStripe(parse),
} satisfies DialectClient;
