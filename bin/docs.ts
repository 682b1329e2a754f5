import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { registry } from '../dialects/index.ts';
import { dialectList } from '../src/contract/registry.ts';
import { coverageMarkdown } from '../src/gateway/coverage.ts';
import { refusalHeading, refusalTable, withRefusalTable } from './refusal-table.ts';
import { openApiJson } from '../src/openapi/document.ts';
import { gatewayUpstreamsJson } from '../src/openapi/gateway-upstreams.ts';
import { upstreamModes } from '../src/store/upstreams.ts';
import { consoleBundleSource } from './console-build.ts';
import { wooshpayClientTypes } from './openapi-client-types.ts';

// `npm run docs`: regenerates docs/coverage.md, docs/openapi/<dialect>.json and gateway.json (the upstream routes), the console's
// compiled script and the per-pair refusal tables in docs/migrating.md and docs/dialects/*.md
// (tests fail when a committed copy is stale).
writeFileSync(new URL('../docs/coverage.md', import.meta.url), coverageMarkdown(dialectList(registry)));
console.log('wrote docs/coverage.md');
mkdirSync(new URL('../docs/openapi/', import.meta.url), { recursive: true });
for (const [name, entry] of Object.entries(registry)) {
  writeFileSync(new URL(`../docs/openapi/${name}.json`, import.meta.url), openApiJson(entry));
  console.log(`wrote docs/openapi/${name}.json`);
}
writeFileSync(new URL('../docs/openapi/gateway.json', import.meta.url), gatewayUpstreamsJson(dialectList(registry), upstreamModes));
console.log('wrote docs/openapi/gateway.json');
for (const [file, only] of [['migrating.md', undefined], ...Object.keys(registry).map((n) => [`dialects/${n}.md`, n])] as const) {
  const url = new URL(`../docs/${file}`, import.meta.url);
  writeFileSync(url, withRefusalTable(readFileSync(url, 'utf8'), refusalTable(only), refusalHeading));
  console.log(`wrote the refusal table in docs/${file}`);
}
writeFileSync(new URL('../src/web/console/bundle.ts', import.meta.url), await consoleBundleSource());
console.log('wrote src/web/console/bundle.ts');
writeFileSync(new URL('../test/support/openapi-wooshpay.ts', import.meta.url), await wooshpayClientTypes());
console.log('wrote test/support/openapi-wooshpay.ts');
