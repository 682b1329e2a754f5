import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { type DialectName, dialects } from '../dialects/index.ts';
import { judgeDocument, seedDocument } from './support/seed-openapi.ts';

// The documents the judge checks client halves against are valid OpenAPI, published and extended.

const names = Object.keys(dialects) as DialectName[];

describe.each(names)('provider document: %s', (name) => {
  it('is valid OpenAPI as published', async () => {
    const validator = new Validator();
    const result = await validator.validate(seedDocument(name));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('stays valid with the create and the read added, and documents the same update call as the dialect', async () => {
    const doc = judgeDocument(name);
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    const { routes } = dialects[name];
    const item = Object.keys(doc.paths).find((p) => p !== routes.collection) ?? '';
    expect(item.replace(/\{[^}]+\}/, '{id}')).toBe(`${routes.collection}/{id}`);
    expect(Object.keys(doc.paths[item] ?? {}).sort()).toEqual(['get', routes.update.toLowerCase()].sort());
    expect(Object.keys(doc.paths[routes.collection] ?? {})).toEqual(['post']);
  });
});
