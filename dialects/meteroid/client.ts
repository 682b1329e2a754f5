import * as v from 'valibot';
import {
  type ClientResponse,
  type ClientWrite,
  type DialectClient,
  GatewayError,
  type Issue,
  unexpectedAnswer,
  upstreamStatusError,
  writableFields,
} from '../../src/contract/dialect.ts';
import { badPaging, count, jsonHeaders, listPageSize, readPage } from '../shared/client.ts';
import { idMemberOf, parseOf } from '../shared/lens.ts';
import { cannotCarryOf, readsOf } from '../shared/lens-coverage.ts';
import { coverageMeteroid } from './coverage.ts';
import { createDefaultsMeteroid, fieldsMeteroid } from './fields.ts';
import { fromPatch } from './from-patch.ts';
import { vatEntry } from './hooks.ts';

const collection = '/api/v1/customers';

const CredentialsMeteroid = v.strictObject({ api_key: v.pipe(v.string(), v.minLength(1)) });

const headers = (credentials: Readonly<Record<string, string>>) => ({
  authorization: `Bearer ${credentials.api_key ?? ''}`,
  ...jsonHeaders,
});

const shownState = parseOf(fieldsMeteroid);
const idMember = idMemberOf(fieldsMeteroid, 'public_id');

/** Meteroid's customer (the response in the Meteroid API reference) -> the canonical state it shows. */
function parse(body: unknown) {
  const shown = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const id = shown[idMember];
  if (typeof id !== 'string') return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
  return { id, patch: shownState(shown) };
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

/**
 * The clears Meteroid cannot make (its table's set-only members), where there is a value to clear,
 * and every change its translation reports it cannot express (an address member cleared alone, a
 * value it refuses).
 */
const declared = cannotCarryOf(fieldsMeteroid, fromPatch);

/**
 * What the table and the translation declare, less a replace of the tax ids that Meteroid's one
 * VAT number holds whole. The translation reports every replace (the server half keeps the tax ids
 * a Meteroid client cannot see), but the provider has no other tax ids to keep or remove: a list
 * naming a VAT number, or naming none where the customer has none, is carried. Only taking a VAT
 * number away has no form, and a clear (Zenskar's `tax_info: null`) takes it away as an empty
 * list does: the table leaves a clear out for a Meteroid client, whose own update cannot send one.
 */
function cannotCarry(write: ClientWrite): string[] {
  const fields = declared(write);
  const op = write.patch.tax_ids;
  if (op === undefined || op.op === 'merge') return fields;
  const keepsVat = op.op === 'set' && vatEntry(op.value) !== undefined;
  // Without the customer (a mirror's delivery is judged on the change alone) there may be one to take away.
  const hadVat = write.current === undefined || vatEntry(write.current.tax_ids) !== undefined;
  const rest = fields.filter((f) => f !== 'tax_ids');
  return !keepsVat && hadVat ? [...rest, 'tax_ids'] : rest;
}

export const clientMeteroid = {
  credentials: CredentialsMeteroid,
  reads: readsOf(fieldsMeteroid),
  sends: writableFields(coverageMeteroid),
  isId: (segment) => /^cus_[A-Za-z0-9]{1,64}$/.test(segment),
  create(write, credentials) {
    // Meteroid creates a customer with a name and a currency.
    const body = { ...createDefaultsMeteroid(write.current), ...fromPatch(write.patch).body };
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
    readPage(
      body,
      'data',
      parse,
      (page) => {
        const meta = (page.pagination_meta ?? {}) as Record<string, unknown>;
        const [at, pages] = [count(meta.page), count(meta.total_pages)];
        if (at === undefined || pages === undefined) return badPaging('pagination_meta');
        return at + 1 < pages ? String(at + 1) : undefined;
      },
      (page) => count(((page.pagination_meta ?? {}) as Record<string, unknown>).total_items),
    ),
  // Meteroid sends its events through Svix, in the Standard Webhooks format (https://www.standardwebhooks.com/).
  inboundWebhooks: 'standard',
} satisfies DialectClient;
