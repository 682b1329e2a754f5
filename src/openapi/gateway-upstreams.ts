import * as v from 'valibot';
import type { AnyDialect } from '../contract/dialect.ts';
import { maxBaseUrlChars, maxCredentialsBytes } from '../contract/upstream-limits.ts';
import { jsonSchema } from './document.ts';

// The OpenAPI 3.1 document of the gateway API's upstream routes (docs/gateway-api.md): list, add,
// show, change the mode of, promote, demote and remove a tenant's upstreams, and set the secret its
// provider signs webhooks with. Built from the registry's dialects and the store's modes, so a new
// dialect or mode is in it at once; served at GET /gateway/v1/openapi.json and written by
// `npm run docs` to docs/openapi/gateway.json (a test fails when stale).

type Json = Record<string, unknown>;

const encodings = ['json', 'form'] as const;

function schemas(dialects: readonly AnyDialect[], modes: readonly string[]) {
  const dialect = v.picklist(dialects.map((d) => d.name));
  const mode = v.picklist(modes);
  const upstream = {
    id: v.string(),
    tenant_id: v.string(),
    dialect,
    base_url: v.pipe(
      v.string(),
      v.description(
        "As it was added, never with a user or password; to a test key of a tenant with live credentials or customers, its origin only (the rest, which may hold a token, as '…').",
      ),
    ),
    mode,
    encoding: v.picklist(encodings),
    webhooks_in: v.boolean(),
    created_at: v.string(),
  };
  const step = v.object({ event: v.string(), mode, previous_mode: v.nullable(mode), detail: v.nullable(v.string()), at: v.string() });
  const detail = v.object({ ...upstream, links: v.number(), history: v.array(step), warnings: v.optional(v.array(v.string())) });
  return {
    Upstream: jsonSchema(detail),
    UpstreamList: jsonSchema(
      v.object({ object: v.literal('list'), data: v.array(v.object({ ...upstream, credentials_readable: v.boolean() })) }),
    ),
    AddUpstream: jsonSchema(
      v.strictObject({
        dialect,
        base_url: v.pipe(
          v.string(),
          v.maxLength(maxBaseUrlChars),
          v.description("The provider's API base URL, http:// or https://, without user, query or fragment."),
        ),
        mode: v.optional(mode, 'proxy'),
        credentials: v.pipe(
          v.record(v.string(), v.unknown()),
          v.description(
            `Shaped exactly as the dialect's entry of \`custgate tenant create --json\` (e.g. wooshpay: {"secret_key"}), at most ${maxCredentialsBytes} bytes as JSON.`,
          ),
        ),
        encoding: v.optional(v.pipe(v.picklist(encodings), v.description('form: only for dialects whose API takes it.')), 'json'),
        webhook_secret: v.optional(v.string()),
      }),
    ),
    ChangeMode: jsonSchema(v.strictObject({ mode })),
    Promote: jsonSchema(v.strictObject({ force: v.optional(v.boolean()) })),
    WebhookSecret: jsonSchema(v.strictObject({ secret: v.nullable(v.string()) })),
    Deleted: jsonSchema(v.object({ id: v.string(), object: v.literal('upstream'), deleted: v.literal(true) })),
    Error: jsonSchema(
      v.object({
        error: v.object({
          code: v.string(),
          message: v.string(),
          issues: v.optional(v.array(v.object({ path: v.array(v.string()), kind: v.string(), message: v.string() }))),
        }),
      }),
    ),
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const content = (name: string) => ({ 'application/json': { schema: ref(name) } });

const errors: Record<string, string> = {
  '400': 'Bad input, naming it (`issues[0].path`); nothing changed.',
  '401': 'No valid credential of the tenant.',
  '403': 'A test key, while the tenant has live credentials or customers (docs/security.md).',
  '404': 'No such upstream for this tenant.',
  '409': 'A second proxy, or the cut-over refused (docs/gateway-api.md).',
  '413': 'The body is past CUSTGATE_BODY_LIMIT_BYTES.',
  '415': 'The body is not JSON.',
  '429': 'Too many failed authentications from this address.',
  '503':
    'The store did not answer in time, lost or refused the connection, or is busy with another writer (the message says which; Retry-After), or CUSTGATE_SECRETS_KEY is not set in production.',
};

function operation(id: string, summary: string, success: Json, options: { body?: string; only?: readonly string[] } = {}): Json {
  const shown = options.only ?? Object.keys(errors);
  return {
    operationId: id,
    summary,
    tags: ['Upstreams'],
    ...(options.body ? { requestBody: { required: true, content: content(options.body) } } : {}),
    responses: {
      ...success,
      ...Object.fromEntries(shown.map((status) => [status, { description: errors[status], content: content('Error') }])),
    },
  };
}

const ok = (status: number, description: string, schema: string) => ({ [String(status)]: { description, content: content(schema) } });
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The upstream (ups_…).' };
const reads = ['401', '404', '429', '503'];

/** `modes`: the store's upstream modes (src/store/upstreams.ts), handed down as this layer sits below the store. */
export function gatewayUpstreamsDocument(dialects: readonly AnyDialect[], modes: readonly string[]): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'custgate gateway API — upstreams',
      version: '1.0.0',
      description:
        "A tenant's upstream providers (proxy, mirror, shadow), as `custgate upstream add|list|show|mode|promote|demote|webhook-secret|remove` manage them. Any credential of the tenant, in any dialect's scheme, authenticates; changes need a live key once the tenant has live credentials or customers. Credentials go in encrypted and never come out.",
    },
    servers: [{ url: '/' }],
    tags: [{ name: 'Upstreams' }],
    security: [{ bearer: [] }, { basic: [] }],
    paths: {
      '/gateway/v1/upstreams': {
        get: operation('listUpstreams', "List the tenant's upstreams", ok(200, 'The upstreams.', 'UpstreamList'), {
          only: ['401', '429', '503'],
        }),
        post: operation('addUpstream', 'Add an upstream', ok(201, 'The upstream, as GET shows it, with `warnings`.', 'Upstream'), {
          body: 'AddUpstream',
        }),
      },
      '/gateway/v1/upstreams/{id}': {
        parameters: [idParameter],
        get: operation('retrieveUpstream', 'One upstream with its links count and history', ok(200, 'The upstream.', 'Upstream'), {
          only: reads,
        }),
        patch: operation('changeUpstreamMode', "Change an upstream's mode in place", ok(200, 'The upstream.', 'Upstream'), {
          body: 'ChangeMode',
        }),
        delete: operation(
          'removeUpstream',
          'Remove an upstream (its links stay for an add of the same provider)',
          ok(200, 'Removed.', 'Deleted'),
          {
            only: ['401', '403', ...reads.slice(1)],
          },
        ),
      },
      '/gateway/v1/upstreams/{id}/webhook-secret': {
        parameters: [idParameter],
        put: operation(
          'setUpstreamWebhookSecret',
          'Set (or, with null, clear) the secret its provider signs webhooks with',
          ok(200, 'The upstream.', 'Upstream'),
          {
            body: 'WebhookSecret',
          },
        ),
      },
      '/gateway/v1/upstreams/{id}/promote': {
        parameters: [idParameter],
        post: operation(
          'promoteUpstream',
          'Make a mirror or shadow the proxy (the cut-over)',
          ok(200, 'The upstream, with `forced`.', 'Upstream'),
          {
            body: 'Promote',
          },
        ),
      },
      '/gateway/v1/upstreams/{id}/demote': {
        parameters: [idParameter],
        post: operation('demoteUpstream', 'Turn the proxy back into a mirror', ok(200, 'The upstream.', 'Upstream')),
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "Any of the tenant's API keys or JWTs." },
        basic: { type: 'http', scheme: 'basic', description: 'A Wooshpay key as the user, as Stripe takes it.' },
      },
      schemas: schemas(dialects, modes),
    },
  };
}

const cache = new WeakMap<readonly AnyDialect[], string>();

/** The document as served and committed: two-space JSON with a final newline, built once per dialect list. */
export function gatewayUpstreamsJson(dialects: readonly AnyDialect[], modes: readonly string[]): string {
  let text = cache.get(dialects);
  if (text === undefined) {
    text = `${JSON.stringify(gatewayUpstreamsDocument(dialects, modes), null, 2)}\n`;
    cache.set(dialects, text);
  }
  return text;
}
