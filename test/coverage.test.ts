import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dialects, registry } from '../dialects/index.ts';
import { dialectList } from '../src/contract/registry.ts';
import { coverageMarkdown } from '../src/gateway/coverage.ts';
import { testGateway } from './support/gateway.ts';

describe('coverage matrix', () => {
  it('docs/coverage.md is what the dialect code generates (run `npm run docs` when this fails)', () => {
    const committed = readFileSync(new URL('../docs/coverage.md', import.meta.url), 'utf8');
    expect(committed).toBe(coverageMarkdown(dialectList(registry)));
  });

  it('is served as JSON, one row per canonical field with every dialect', async () => {
    const gw = await testGateway();
    const res = await gw.request('/gateway/v1/coverage');
    expect(res.status).toBe(200);
    const matrix = (await res.json()) as { dialects: string[]; fields: { field: string; dialects: Record<string, unknown> }[] };
    expect(matrix.dialects.sort()).toEqual(Object.keys(dialects).sort());
    const name = matrix.fields.find((f) => f.field === 'name');
    for (const dialect of matrix.dialects) expect(name?.dialects[dialect]).toMatchObject({ read: true, write: { set: true } });
  });
});
