import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { dialectPath } from '../src/contract/field-path.ts';

// A check of the core names a canonical field (`shipping.address.country`); the client's error
// envelope must name the parameter it sends instead, in every dialect: the coverage table's name
// for the field, the request schema's members below it. Each dialect's fixtures name the
// parameters (`paramNames`); every registered dialect must.

describe('a canonical path in each dialect', () => {
  it.each(Object.values(dialects).map((d) => [d.name, d] as const))('%s names its own parameters', (_name, dialect) => {
    const names = fixturesOf(dialect).paramNames;
    expect(names, 'its fixtures name the parameters').toBeDefined();
    for (const [canonical, wire] of Object.entries(names ?? {})) {
      expect(dialectPath(dialect, canonical.split('.')).join('.'), canonical).toBe(wire);
    }
  });
});
