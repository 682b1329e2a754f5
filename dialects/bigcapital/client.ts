import * as v from 'valibot';
import { type Customer, fieldDefaults } from '../../schemas/index.ts';
import {
  type ClientRequest,
  type ClientResponse,
  type ClientWrite,
  type DialectClient,
  GatewayError,
  type Issue,
  type IssueKind,
  refusesValues,
  unexpectedAnswer,
  upstreamStatusError,
  writableFields,
} from '../../src/contract/dialect.ts';
import { badPaging, count, jsonHeaders, listPageSize, readPage } from '../shared/client.ts';
import { idMemberOf, parseOf } from '../shared/lens.ts';
import { readsOf } from '../shared/lens-coverage.ts';
import { coverageBigcapital } from './coverage.ts';
import { createBodyBigcapital, createdAtBigcapital, fieldsBigcapital, noClearFormBigcapital, requiredBigcapital } from './fields.ts';
import { fromPatch } from './from-patch.ts';

const collection = '/api/customers';

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

const shownState = parseOf(fieldsBigcapital);
const idMember = idMemberOf(fieldsBigcapital, 'number');

/** Bigcapital's customer (the response in the Bigcapital API reference) -> the canonical state it shows. */
function parse(body: unknown) {
  const shown = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const id = shown[idMember];
  if (typeof id !== 'number') return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  // Its creation time tells a customer made before a lost create from the one that create left (src/upstream/marker.ts).
  const createdAt = createdAtBigcapital(shown);
  return { id: String(id), patch: shownState(shown), ...(createdAt ? { createdAt } : {}) };
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
    const message = issues[0]?.message ?? 'The upstream refused the request.';
    // Under a 5xx, a 401/403 or a 429 the list is the provider's failure, not the client's values.
    if (!refusesValues(response.status)) return upstreamStatusError(response.status, message, response.retryAfterSeconds);
    return new GatewayError('invalid_request', message, { issues });
  }
  if (typeof body.message !== 'string') return unexpectedAnswer(response);
  return upstreamStatusError(response.status, body.message, response.retryAfterSeconds);
}

/** The value at a canonical path (`shipping.address.email`) of the customer. */
const valueAt = (c: Customer, path: string): unknown =>
  path.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), c);

/**
 * The body of a PUT or create. Every PUT (and create) needs a customer type and a non-empty
 * display name (`requiredBigcapital`): taken from the write, else from the customer as the gateway knows it. A clear is
 * "", the reference's type for every member but `active` (Bigcapital reads "" as no value); a
 * clear of an email or of `active` has no form and is left out (`cannotCarry` names it).
 */
function body(write: ClientWrite, create: boolean): string {
  const out = fromPatch(write.patch).body;
  for (const [property, { fallback }] of Object.entries(requiredBigcapital)) out[property] ??= fallback(write.current);
  if (create) Object.assign(out, createBodyBigcapital(write.patch));
  for (const [property, value] of Object.entries(out)) {
    if (value !== null) continue;
    if (noClearFormBigcapital.has(property)) delete out[property];
    else out[property] = '';
  }
  return JSON.stringify(out);
}

/** The clears Bigcapital's reference has no form for, where there is a value to clear. */
function cannotCarry(write: ClientWrite): string[] {
  const out = fromPatch(write.patch).body;
  const fields: string[] = [];
  for (const [property, path] of noClearFormBigcapital) {
    if (out[property] !== null) continue;
    // A clear puts the default back: nothing to clear where the customer has it already.
    const fallback = path in fieldDefaults ? fieldDefaults[path as keyof typeof fieldDefaults] : null;
    if (write.current === undefined || (valueAt(write.current, path) ?? null) !== fallback) fields.push(path);
  }
  return fields;
}

export const clientBigcapital = {
  credentials: CredentialsBigcapital,
  reads: readsOf(fieldsBigcapital),
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
    readPage(
      body,
      'customers',
      parse,
      (page) => {
        const paging = (page.pagination ?? {}) as Record<string, unknown>;
        const [at, size, total] = [count(paging.page), count(paging.pageSize), count(paging.total)];
        if (at === undefined || size === undefined || size === 0 || total === undefined) return badPaging('pagination');
        return at * size < total ? String(at + 1) : undefined;
      },
      (page) => count(((page.pagination ?? {}) as Record<string, unknown>).total),
    ),
  // No inboundWebhooks: Bigcapital has no outbound webhooks.
} satisfies DialectClient;
