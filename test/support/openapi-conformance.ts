import { type Schema, Validator } from '@cfworker/json-schema';
import { fixturesOf } from '../../dialects/index.ts';
import type { AnyDialect } from '../../src/contract/dialect.ts';
import type * as v from 'valibot';
import { openApiDocument } from '../../src/openapi/document.ts';
import type { TestGateway } from './gateway.ts';

// Beside the contract suite: every answer it gets from the gateway is kept, then checked against
// the dialect's own OpenAPI document — the operation by method and path, the response by status,
// the body by that response's schema. The JSON Schema validator is @cfworker/json-schema: it
// compiles nothing at run time (no eval), so the same check runs in workerd.

export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type RecordingGateway = TestGateway & { readonly exchanges: Exchange[] };

/** The same gateway, keeping a copy of every answer. */
export function recording(gw: TestGateway): RecordingGateway {
  const exchanges: Exchange[] = [];
  const request = async (path: string, init?: RequestInit) => {
    const res = await gw.request(path, init);
    const body = await res.clone().text();
    const method = init?.method ?? 'GET';
    exchanges.push({ method, path: path.split('?')[0]!, status: res.status, contentType: res.headers.get('content-type') ?? '', body });
    return res;
  };
  return { ...gw, request, exchanges };
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Conformance {
  /** Answers checked against a response schema. */
  readonly checked: number;
  /** Statuses seen, per operation (`GET /x/{id} 404`). */
  readonly statuses: readonly string[];
  /** Answers to paths the document does not describe (an unknown route's 404). */
  readonly undocumented: readonly string[];
  readonly problems: readonly string[];
}

export function conformance(dialect: AnyDialect, exchanges: readonly Exchange[], response?: v.GenericSchema): Conformance {
  const doc = openApiDocument(dialect, response ?? fixturesOf(dialect).response) as unknown as Document;
  const templates = Object.keys(doc.paths).map((t) => ({
    template: t,
    pattern: new RegExp(
      `^${t
        .split(/\{[^}]+\}/)
        .map(escapeRegExp)
        .join('[^/]+')}$`,
    ),
  }));
  const problems: string[] = [];
  const undocumented: string[] = [];
  const statuses = new Set<string>();
  let checked = 0;
  for (const x of exchanges) {
    // The root paths are the same operations without the prefix.
    const path = x.path.startsWith(`${dialect.routes.prefix}/`) ? x.path : `${dialect.routes.prefix}${x.path}`;
    const template = templates.find((t) => t.pattern.test(path))?.template;
    const operation = template ? doc.paths[template]?.[x.method.toLowerCase()] : undefined;
    const what = `${x.method} ${x.path} ${x.status}`;
    if (!template || !operation) {
      undocumented.push(what);
      continue;
    }
    statuses.add(`${x.method} ${template} ${x.status}`);
    const response = operation.responses[String(x.status)];
    if (!response) {
      problems.push(`${what}: the document has no ${x.status} for this operation`);
      continue;
    }
    const media = x.contentType.split(';')[0]!.trim();
    const ref = response.content?.[media]?.schema.$ref;
    const schema = ref ? doc.components.schemas[ref.replace('#/components/schemas/', '')] : undefined;
    if (!schema) {
      problems.push(`${what}: the document has no ${media} body for it`);
      continue;
    }
    const result = new Validator(schema as Schema, '2020-12', false).validate(JSON.parse(x.body));
    if (!result.valid) {
      const why = result.errors.map((e) => `${e.instanceLocation} ${e.error}`).join('; ');
      problems.push(`${what}: ${why} in ${x.body.slice(0, 300)}`);
    }
    checked += 1;
  }
  return { checked, statuses: [...statuses].sort(), undocumented, problems };
}
