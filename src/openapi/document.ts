import { type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { charLimitOf, countryCodes, isCountryCode, isEmail } from '../../schemas/index.ts';
import type { Action, AnyDialect } from '../contract/dialect.ts';
import type { RegistryEntry } from '../contract/registry.ts';
import { type ErrorCode, errorCodes, GatewayError, type GatewayErrorDetails, type IssueKind } from '../contract/errors.ts';

// One OpenAPI 3.1 document per dialect, generated from the dialect's own valibot schemas (request
// bodies, its seed's response, its error envelope) and the rest of its contract: routes, auth,
// statuses found by asking its renderError. Never written by hand: GET /<dialect>/openapi.json
// serves it and `npm run docs` writes docs/openapi/<dialect>.json (a test fails when stale).

type Json = Record<string, unknown>;

/** An ISO-2 code in either case, as isCountryCode takes it: `[Uu][Ss]` for each known code. */
const countryCodePattern = `^(?:${countryCodes
  .map((code: string) => [...code].map((c) => `[${c}${c.toLowerCase()}]`).join(''))
  .join('|')})$`;

/**
 * The shared checks a document can state, so it says exactly what the server takes: an email
 * address (schemas/limits.ts), an ISO-2 country code (schemas/country.ts) and a length in characters
 * (maxChars, schemas/limits.ts).
 */
function knownCheck({ valibotAction, jsonSchema }: { valibotAction: { type: string; requirement?: unknown }; jsonSchema: JsonSchema }) {
  if (valibotAction.type !== 'check') return undefined;
  if (valibotAction.requirement === isEmail) return { ...jsonSchema, format: 'email' };
  if (valibotAction.requirement === isCountryCode) return { ...jsonSchema, pattern: countryCodePattern };
  // A length in characters: what JSON Schema's maxLength counts.
  const limit = charLimitOf(valibotAction.requirement);
  if (limit !== undefined) return { ...jsonSchema, maxLength: limit };
  return undefined;
}

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a valibot schema; checks it cannot state are left out. */
export function jsonSchema(schema: v.GenericSchema): Json {
  const { $schema: _, ...rest }: JsonSchema = toJsonSchema(schema, {
    target: 'draft-2020-12',
    errorMode: 'ignore',
    overrideAction: knownCheck,
  });
  return rest as Json;
}

/**
 * Gateway errors an operation cannot raise (a read has no body, a create no customer to miss and
 * no If-Match); it can raise any other, including codes added later.
 */
const impossible = {
  read: [
    'malformed_body',
    'unsupported_media_type',
    'payload_too_large',
    'conflict',
    'idempotency_mismatch',
    'idempotency_in_flight',
    'precondition_failed',
  ],
  create: ['not_found', 'precondition_failed'],
  update: [],
  delete: ['malformed_body', 'unsupported_media_type', 'payload_too_large', 'conflict', 'idempotency_mismatch', 'idempotency_in_flight'],
} as const satisfies Record<Action, readonly ErrorCode[]>;

const idempotencyCodes: readonly ErrorCode[] = ['idempotency_mismatch', 'idempotency_in_flight'];

const issueKinds: readonly IssueKind[] = ['unknown', 'missing', 'empty', 'type', 'format', 'value', 'unresolved'];
/** The shapes of error a renderer tells apart: by issue kind, header or body, reason, reference. */
export const detailVariants: readonly GatewayErrorDetails[] = [
  {},
  ...issueKinds.map((kind) => ({ issues: [{ path: ['field'], kind, message: 'x', value: 1 }] })),
  { issues: [{ path: ['header', 'x'], kind: 'value', message: 'x' }] },
  { reason: 'missing' },
  { reason: 'invalid' },
  { reference: 'x' },
  { field: 'x' },
];

/** Status -> the gateway error codes the dialect answers with it, for one operation. */
export function errorStatuses(dialect: AnyDialect, action: Action): Map<number, Set<ErrorCode>> {
  const out = new Map<number, Set<ErrorCode>>();
  const excluded: readonly ErrorCode[] = impossible[action];
  for (const code of errorCodes) {
    if (excluded.includes(code) || (!dialect.idempotency && idempotencyCodes.includes(code))) continue;
    for (const details of detailVariants) {
      const { status } = dialect.wire.renderError(new GatewayError(code, 'x', details));
      out.set(status, (out.get(status) ?? new Set()).add(code));
    }
  }
  return new Map([...out].sort(([a], [b]) => a - b));
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ 'application/json': { schema } });

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before a retry can succeed.', schema: { type: 'integer', minimum: 0 } },
};

/** Codes raised with retryAfterSeconds, which errorHeaders sends as Retry-After (src/contract/errors.ts). */
const retriable = (code: ErrorCode) => code === 'rate_limited' || code === 'unavailable';

function errorResponses(dialect: AnyDialect, action: Action): Json {
  return Object.fromEntries(
    [...errorStatuses(dialect, action)].map(([status, codes]) => [
      String(status),
      {
        description: [...codes].join(', ').replaceAll('_', ' '),
        ...([...codes].some(retriable) ? { headers: retryAfter } : {}),
        content: json(ref('Error')),
      },
    ]),
  );
}

function requestBody(dialect: AnyDialect, name: 'CreateRequest' | 'UpdateRequest', schema: Json, valibot: v.GenericSchema): Json {
  const content: Json = json(ref(name));
  if (dialect.wire.bodies.includes('form')) {
    // Nested objects and lists in a form body are bracketed: address[city]=…, expand[0]=….
    const properties = Object.keys((schema as { properties?: Json }).properties ?? {});
    content['application/x-www-form-urlencoded'] = {
      schema: ref(name),
      encoding: Object.fromEntries(properties.map((p) => [p, { style: 'deepObject', explode: true }])),
    };
  }
  // An empty body is read as {} (src/contract/body.ts): required only where {} itself is refused.
  return { required: !v.safeParse(valibot, {}).success, content };
}

const header = (name: string, description: string, schema: Json, required = false) => ({
  name,
  in: 'header',
  required,
  description,
  schema,
});

function parameters(dialect: AnyDialect, action: Action, update: Json): Json[] {
  const out: Json[] = [];
  if (action !== 'create') {
    out.push({
      name: 'id',
      in: 'path',
      required: true,
      description: `The customer, by ${dialect.ids.join(' or ').replaceAll('_', ' ')}.`,
      schema: { type: 'string' },
    });
  }
  const expand = (update as { properties?: Record<string, Json> }).properties?.expand;
  if (action === 'read' && dialect.wire.expand && expand) {
    out.push({ name: 'expand[]', in: 'query', description: 'Related objects to expand.', style: 'form', explode: true, schema: expand });
  }
  if (action !== 'read' && dialect.idempotency) {
    out.push(
      header('Idempotency-Key', 'Replays the first answer for a repeated key (24 h); other parameters under the same key are refused.', {
        type: 'string',
        minLength: 1,
        maxLength: 255,
      }),
    );
  }
  if (action === 'update') {
    out.push(
      header('If-Match', 'The ETag of the version this update expects (`"v<n>"`) or a list of them; another version is refused (412).', {
        type: 'string',
      }),
    );
  }
  for (const h of dialect.wire.openapi.headers ?? []) out.push(header(h.name, h.description, jsonSchema(h.schema)));
  return out;
}

/** `GET` on the collection, where the dialect lists (src/contract/list.ts): its query parameters and envelope. */
function listOperation(dialect: AnyDialect): Json | undefined {
  const list = dialect.wire.list;
  if (!list) return undefined;
  const entries = (list.query as unknown as { entries?: Record<string, v.GenericSchema> }).entries ?? {};
  return {
    get: {
      operationId: 'listCustomers',
      summary: 'List customers',
      tags: ['Customers'],
      parameters: [
        ...Object.entries(entries).map(([name, schema]) => ({ name, in: 'query', required: false, schema: jsonSchema(schema) })),
        ...(dialect.wire.openapi.headers ?? []).map((h) => header(h.name, h.description, jsonSchema(h.schema))),
      ],
      responses: {
        '200': { description: 'A page of customers.', content: json(ref('CustomerList')) },
        ...errorResponses(dialect, 'read'),
      },
    },
  };
}

/** The envelope's schema, its customers shown as the Customer schema. */
function listSchema(response: v.GenericSchema, items: string): Json {
  const schema = jsonSchema(response) as { properties?: Record<string, Json> };
  if (schema.properties?.[items]) schema.properties[items] = { type: 'array', items: ref('Customer') };
  return schema as Json;
}

const etag = { ETag: { description: 'The version of the customer shown (`"v<n>"`), for If-Match.', schema: { type: 'string' } } };

/** `response`: the seed's customer schema (the dialect's fixtures hold it). */
export function openApiDocument(dialect: AnyDialect, response: v.GenericSchema): Json {
  const update = jsonSchema(dialect.wire.request.update);
  const create = jsonSchema(dialect.wire.request.create);
  const collection = `${dialect.routes.prefix}${dialect.routes.collection}`;
  const ok = (status: number, description: string) => ({
    [String(status)]: { description, headers: etag, content: json(ref('Customer')) },
  });
  const operation = (action: Action, summary: string, success: Json, body?: Json) => ({
    operationId: `${action === 'read' ? 'retrieve' : action}Customer`,
    summary,
    tags: ['Customers'],
    parameters: parameters(dialect, action, update),
    ...(body ? { requestBody: body } : {}),
    responses: { ...success, ...errorResponses(dialect, action) },
  });
  const root =
    dialect.routes.root === false
      ? ''
      : ` The same operations answer at \`${dialect.routes.collection}\` without the prefix${
          dialect.routes.root === 'shared' ? ', where the credential’s shape picks the dialect' : ''
        }.`;
  return {
    openapi: '3.1.0',
    info: {
      title: `${dialect.title} — custgate`,
      version: '1.0.0',
      description: `The ${dialect.title} customer API as custgate serves it, over the canonical customer store.${root} What each field maps to, and what this dialect cannot carry: GET /gateway/v1/coverage.`,
    },
    servers: [{ url: '/' }],
    tags: [{ name: 'Customers' }],
    security: dialect.wire.openapi.security.map((names) => Object.fromEntries(names.map((n) => [n, []]))),
    paths: {
      [collection]: {
        ...listOperation(dialect),
        post: operation(
          'create',
          'Create a customer',
          ok(dialect.wire.createdStatus, 'The customer created.'),
          requestBody(dialect, 'CreateRequest', create, dialect.wire.request.create),
        ),
      },
      [`${collection}/{id}`]: {
        get: operation('read', 'Retrieve a customer', ok(200, 'The customer.')),
        [dialect.routes.update.toLowerCase()]: operation(
          'update',
          'Update a customer',
          ok(200, 'The customer as updated.'),
          requestBody(dialect, 'UpdateRequest', update, dialect.wire.request.update),
        ),
      },
    },
    components: {
      securitySchemes: dialect.wire.openapi.securitySchemes,
      schemas: {
        Customer: jsonSchema(response),
        CreateRequest: create,
        UpdateRequest: update,
        Error: jsonSchema(dialect.wire.openapi.errorResponse),
        ...(dialect.wire.list ? { CustomerList: listSchema(dialect.wire.list.response, dialect.wire.list.items) } : {}),
      },
    },
  };
}

// By dialect object, not name: an injected registry may hold another dialect under a known name.
const cache = new WeakMap<AnyDialect, string>();

/** The document as served and committed: two-space JSON with a final newline, built once. */
export function openApiJson(entry: RegistryEntry): string {
  let text = cache.get(entry.dialect);
  if (text === undefined) {
    text = `${JSON.stringify(openApiDocument(entry.dialect, entry.fixtures.response), null, 2)}\n`;
    cache.set(entry.dialect, text);
  }
  return text;
}
