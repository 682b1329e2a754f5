import { Hono } from 'hono';
import type { Registry } from '../contract/registry.ts';
import { GatewayError } from '../contract/errors.ts';
import { openApiJson } from '../openapi/document.ts';
import { isSwaggerFile, type StaticAssets, swaggerFiles } from './assets.ts';
import { consoleScript } from './console/bundle.ts';
import { consoleCss, consoleHtml } from './console/page.ts';
import { consoleSchemes, schemeOptions } from './console/schemes.ts';
import { docsHtml, docsInit, gatewayOpenApiPath } from './docs.ts';

export type { StaticAssets } from './assets.ts';

// The gateway's pages for people and tools: each dialect's OpenAPI document, the API reference
// (/docs) and the console (/console). Everything is served from here, nothing from elsewhere.

/**
 * Only the gateway's own origin. Swagger UI (/docs only) also draws icons from data: URLs and sets
 * an inline style; scripts stay 'self' on both pages.
 */
const consoleCsp = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const docsCsp = `${consoleCsp}; img-src 'self' data:; style-src 'self' 'unsafe-inline'`;

/** Gateway API routes the console shows when present (issues #16/#17 add them). */
const optional = { links: /^\/gateway\/v1\/customers\/:[^/]+\/links$/, deliveries: /^\/gateway\/v1\/customers\/:[^/]+\/deliveries$/ };

const page = (csp: string, type: string) => ({
  'content-type': type,
  'content-security-policy': csp,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
});

const html = 'text/html; charset=utf-8';
const js = 'text/javascript; charset=utf-8';

export function webRoutes(
  registry: Registry,
  docsAssets: StaticAssets | undefined,
  fail: (error: GatewayError) => Response,
  /** The whole app's routes, read when asked: what the console may call. */
  routes: () => readonly { readonly method: string; readonly path: string }[],
): Hono {
  const web = new Hono();
  const entries = Object.values(registry);
  const dialects = entries.map((entry) => entry.dialect);
  for (const entry of entries) {
    web.get(`${entry.dialect.routes.prefix}/openapi.json`, (c) =>
      c.body(openApiJson(entry), 200, {
        'content-type': 'application/json; charset=utf-8',
        'access-control-allow-origin': '*',
        'cache-control': 'no-cache',
      }),
    );
  }

  // What a newcomer sees on opening the base URL: where each dialect is, and the pages.
  const index = {
    name: 'custgate',
    description: 'Multi-dialect customer-update gateway',
    dialects: dialects.map((d) => ({
      name: d.name,
      title: d.title,
      base: d.routes.prefix,
      customers: `${d.routes.prefix}${d.routes.collection}`,
      openapi: `${d.routes.prefix}/openapi.json`,
    })),
    docs: docsAssets ? '/docs' : null,
    console: '/console',
    health: '/gateway/v1/health',
    coverage: '/gateway/v1/coverage',
    gateway_openapi: gatewayOpenApiPath,
  };
  web.get('/', (c) => c.json(index, 200, { 'cache-control': 'no-cache' }));

  const consolePage = consoleHtml(schemeOptions(consoleSchemes(dialects)));
  web.get('/console', (c) => c.body(consolePage, 200, page(consoleCsp, html)));
  web.get('/console/app.js', (c) => c.body(consoleScript, 200, page(consoleCsp, js)));
  // Which optional gateway endpoints exist, so the console asks only those (no 404s in its log).
  web.get('/console/features.json', (c) => {
    const present = (pattern: RegExp) => routes().some((r) => r.method === 'GET' && pattern.test(r.path));
    return c.json({ links: present(optional.links), deliveries: present(optional.deliveries) }, 200, { 'cache-control': 'no-cache' });
  });
  web.get('/console/app.css', (c) => c.body(consoleCss, 200, page(consoleCsp, 'text/css; charset=utf-8')));

  const init = docsInit(dialects);
  const notServed = () =>
    fail(
      new GatewayError(
        'not_found',
        `The API reference is not served on this runtime; the OpenAPI documents are: ${dialects.map((d) => `${d.routes.prefix}/openapi.json`).join(', ')}.`,
      ),
    );
  web.get('/docs', (c) => (docsAssets ? c.body(docsHtml, 200, page(docsCsp, html)) : notServed()));
  web.get('/docs/init.js', (c) => (docsAssets ? c.body(init, 200, page(docsCsp, js)) : notServed()));
  web.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    const bytes = isSwaggerFile(file) ? await docsAssets?.read(file) : undefined;
    if (!bytes || !isSwaggerFile(file)) return fail(new GatewayError('not_found', `No such asset: ${file}`));
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { ...page(docsCsp, swaggerFiles[file]), 'cache-control': 'public, max-age=3600' });
  });
  return web;
}
