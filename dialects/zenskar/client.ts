import * as v from 'valibot';
import { type CustomerPatch, type FieldName, metadataAfter, set, taxIdsAfter } from '../../schemas/index.ts';
import {
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
import { badPaging, jsonHeaders, listPageSize, readPage } from '../shared/client.ts';
import { idMemberOf, parseOf } from '../shared/lens.ts';
import { cannotCarryOf, readsOf } from '../shared/lens-coverage.ts';
import { coverageZenskar } from './coverage.ts';
import { createNameZenskar, fieldsZenskar } from './fields.ts';
import { fromPatch } from './from-patch.ts';

const collection = '/customers';

const CredentialsZenskar = v.strictObject({
  api_key: v.pipe(v.string(), v.minLength(1)),
  organisation: v.pipe(v.string(), v.minLength(1)),
});

const headers = (credentials: Readonly<Record<string, string>>) => ({
  'x-api-key': credentials.api_key ?? '',
  organisation: credentials.organisation ?? '',
  ...jsonHeaders,
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const shownState = parseOf(fieldsZenskar);
const idMember = idMemberOf(fieldsZenskar);

/** Zenskar's customer (CustomerResponseSchema in the Zenskar API reference) -> the canonical state it shows. */
function parse(body: unknown) {
  const shown = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const id = shown[idMember];
  if (typeof id !== 'string') return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  return { id, patch: shownState(shown) };
}

const kindByType: Readonly<Record<string, IssueKind>> = {
  missing: 'missing',
  extra_forbidden: 'unknown',
  value_error: 'format',
  string_too_long: 'value',
  uuid_parsing: 'format',
};

function issueOf(entry: unknown): Issue | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { loc, msg, type } = entry as { loc?: unknown; msg?: unknown; type?: unknown };
  if (!Array.isArray(loc)) return undefined;
  const path = loc.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  const kind = typeof type === 'string' ? (kindByType[type] ?? (type.endsWith('_type') ? 'type' : 'value')) : 'value';
  return { path: path[0] === 'body' ? path.slice(1) : path, kind, message: typeof msg === 'string' ? msg : 'Invalid value.' };
}

/** FastAPI's {"detail": [...] | "…"} and API Gateway's {"message"} -> a canonical error. */
function parseError(response: ClientResponse): GatewayError {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<string, unknown>;
  const detail = body.detail;
  if (Array.isArray(detail)) {
    const issues = detail.map(issueOf).filter((i): i is Issue => i !== undefined);
    const message = issues[0]?.message ?? 'The upstream refused the request.';
    // Under a 5xx, a 401/403 or a 429 the list is the provider's failure, not the client's values.
    if (!refusesValues(response.status)) return upstreamStatusError(response.status, message, response.retryAfterSeconds);
    return new GatewayError('invalid_request', message, { issues });
  }
  const message = typeof detail === 'string' ? detail : typeof body.message === 'string' ? body.message : undefined;
  if (message === undefined) return unexpectedAnswer(response);
  if (response.status === 409) {
    return new GatewayError('conflict', message, message.includes('external_id') ? { field: 'external_id' } : {});
  }
  return upstreamStatusError(response.status, message, response.retryAfterSeconds);
}

const declared = cannotCarryOf(fieldsZenskar);
const wholeObjects = ['metadata', 'tax_ids'] as const satisfies readonly FieldName[];

/**
 * Zenskar's PATCH replaces custom_data and tax_info whole (UpdateCustomerSchema in the Zenskar API
 * reference): a key-by-key change is sent as the whole object it leaves on the customer it applies
 * to, so the keys it does not name are kept, not dropped.
 */
function resolved(write: ClientWrite): CustomerPatch {
  const { current, patch } = write;
  if (!current) return patch;
  const { metadata, tax_ids } = patch;
  return {
    ...patch,
    ...(metadata?.op === 'merge' ? { metadata: set(metadataAfter(current.metadata, metadata)) } : {}),
    ...(tax_ids?.op === 'merge' ? { tax_ids: set(taxIdsAfter(current.tax_ids, tax_ids)) } : {}),
  };
}

/** What the table declares, and a key-by-key change of a whole object with no customer to resolve it against. */
function cannotCarry(write: ClientWrite): string[] {
  const fields = declared(write);
  if (!write.current) fields.push(...wholeObjects.filter((f) => write.patch[f]?.op === 'merge'));
  return fields;
}

export const clientZenskar = {
  credentials: CredentialsZenskar,
  reads: readsOf(fieldsZenskar),
  sends: writableFields(coverageZenskar),
  isId: (segment) => uuidPattern.test(segment),
  create(write, credentials) {
    const body = fromPatch(resolved(write)).body;
    body[createNameZenskar] ??= write.current?.name ?? '';
    return { method: 'POST', path: collection, headers: headers(credentials), body: JSON.stringify(body) };
  },
  update: (id, write, credentials) => ({
    method: 'PATCH',
    path: `${collection}/${encodeURIComponent(id)}`,
    headers: headers(credentials),
    body: JSON.stringify(fromPatch(resolved(write)).body),
  }),
  retrieve: (id, credentials) => ({ method: 'GET', path: `${collection}/${encodeURIComponent(id)}`, headers: headers(credentials) }),
  parse,
  parseError,
  cannotCarry,
  // `cursor` is the `next` of the previous answer
  // (https://docs.zenskar.com/reference/list-customers-with-filtering-and-pagination).
  list: (next, credentials) => ({
    method: 'GET',
    path: `${collection}?limit=${listPageSize}${next === undefined ? '' : `&cursor=${encodeURIComponent(next)}`}`,
    headers: headers(credentials),
  }),
  parseList: (body) =>
    readPage(body, 'data', parse, (page) => {
      if (page.next === null || page.next === undefined || page.next === '') return undefined;
      return typeof page.next === 'string' ? page.next : badPaging('next');
    }),
  // No inboundWebhooks: Zenskar documents none for customers.
} satisfies DialectClient;
