import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { consoleBundleSource } from '../bin/console-build.ts';
import { type DialectName, dialects, registry } from '../dialects/index.ts';
import { detailVariants, openApiJson } from '../src/openapi/document.ts';
import { gatewayUpstreamsJson } from '../src/openapi/gateway-upstreams.ts';
import { upstreamModes } from '../src/store/upstreams.ts';
import { dialectList } from '../src/contract/registry.ts';
import { errorCodes, GatewayError } from '../src/contract/errors.ts';
import * as v from 'valibot';
import { testGateway } from './support/gateway.ts';
import { conformance } from './support/openapi-conformance.ts';

// Each dialect's OpenAPI document: what the code generates, what is committed and what is served
// are one and the same, and it is valid OpenAPI 3.1 by the specification's own JSON Schema.

const names = Object.keys(dialects) as DialectName[];

describe.each(names)('OpenAPI document: %s', (name) => {
  it(`docs/openapi/${name}.json is what the dialect code generates (run \`npm run docs\` when this fails)`, () => {
    const committed = readFileSync(new URL(`../docs/openapi/${name}.json`, import.meta.url), 'utf8');
    expect(committed).toBe(openApiJson(registry[name]));
  });

  it('is valid OpenAPI 3.1 (independent validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(openApiJson(registry[name])) as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it("documents every envelope the dialect's renderer gives, for every gateway error (429s and 503s too)", () => {
    const d = dialects[name];
    const doc = JSON.parse(openApiJson(registry[name])) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const update = doc.paths[`${d.routes.prefix}${d.routes.collection}/{id}`]?.[d.routes.update.toLowerCase()];
    for (const code of errorCodes) {
      for (const details of detailVariants) {
        const { status, body } = d.wire.renderError(new GatewayError(code, 'x', { ...details, retryAfterSeconds: 1 }));
        expect(v.safeParse(d.wire.openapi.errorResponse, body).issues, `${code} ${JSON.stringify(body)}`).toBeUndefined();
        if (d.idempotency || !code.startsWith('idempotency'))
          expect(update?.responses[String(status)], `${code} -> ${status}`).toBeDefined();
      }
    }
  });

  it('is served at /<dialect>/openapi.json without a credential, with create, retrieve and update', async () => {
    const gw = await testGateway();
    const d = dialects[name];
    const res = await gw.request(`${d.routes.prefix}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const collection = `${d.routes.prefix}${d.routes.collection}`;
    expect(doc.paths[collection]?.post?.operationId).toBe('createCustomer');
    expect(doc.paths[`${collection}/{id}`]?.get?.operationId).toBe('retrieveCustomer');
    expect(doc.paths[`${collection}/{id}`]?.[d.routes.update.toLowerCase()]?.operationId).toBe('updateCustomer');
  });
});

it('the console script is what app.ts compiles to (run `npm run docs` when this fails)', async () => {
  const committed = readFileSync(new URL('../src/web/console/bundle.ts', import.meta.url), 'utf8');
  expect(committed).toBe(await consoleBundleSource());
});

it('the conformance check refuses a body off its schema and a status the document does not give', () => {
  const answer = { method: 'GET', path: '/wooshpay/v1/customers/cus_x', contentType: 'application/json' };
  const result = conformance(dialects.wooshpay, [
    { ...answer, status: 200, body: JSON.stringify({ id: 'cus_x', object: 'customer' }) },
    { ...answer, status: 404, body: JSON.stringify({ message: 'not Stripe' }) },
    { ...answer, status: 418, body: '{}' },
  ]);
  expect(result.problems).toHaveLength(3);
  expect(result.problems[2]).toContain('no 418');
});

describe("OpenAPI document: the gateway API's upstream routes", () => {
  const generated = () => gatewayUpstreamsJson(dialectList(registry), upstreamModes);

  it('docs/openapi/gateway.json is what the code generates (run `npm run docs` when this fails)', () => {
    expect(readFileSync(new URL('../docs/openapi/gateway.json', import.meta.url), 'utf8')).toBe(generated());
  });

  it('is valid OpenAPI 3.1 (independent validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(generated()) as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('is served at /gateway/v1/openapi.json without a credential, with add and remove', async () => {
    const gw = await testGateway();
    const res = await gw.request('/gateway/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths['/gateway/v1/upstreams']?.post?.operationId).toBe('addUpstream');
    expect(doc.paths['/gateway/v1/upstreams/{id}']?.delete?.operationId).toBe('removeUpstream');
    expect(doc.paths['/gateway/v1/upstreams/{id}/webhook-secret']?.put?.operationId).toBe('setUpstreamWebhookSecret');
  });
});
