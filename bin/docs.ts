import { writeFileSync } from 'node:fs';
import { coverageMarkdown } from '../src/gateway/coverage.ts';

// `npm run docs`: regenerates docs/coverage.md (a test fails when the committed copy is stale).
writeFileSync(new URL('../docs/coverage.md', import.meta.url), coverageMarkdown());
console.log('wrote docs/coverage.md');
