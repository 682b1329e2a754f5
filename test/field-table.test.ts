import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldNames } from '../schemas/index.ts';

// A dialect with a field table (dialects/<name>/fields.ts) spells each member's wire name there
// and nowhere else in its code: the server half, the client half, coverage and the schemas read
// the table. Tests and fixtures (sample bodies a client would send) are not its code. A wire name
// that is also a canonical name (`email`, `city`) cannot be told apart from it, nor `id`, which also
// names the client half's customer id and the id in other answers (a delete's), so only the others
// are looked for.

const root = new URL('../dialects/', import.meta.url);
const canonical = new Set<string>([
  ...fieldNames,
  ...['id', 'uuid', 'public_id', 'number', 'line1', 'line2', 'line3', 'city', 'state', 'postal_code', 'country', 'country_name', 'phone'],
]);

const withTable = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/fields.ts`, root)))
  .map((d) => d.name);

const isTable = (value: unknown): value is Record<string, object> =>
  typeof value === 'object' &&
  value !== null &&
  Object.values(value).length > 0 &&
  Object.values(value).every((m) => typeof m === 'object' && m !== null && ('field' in m || 'to' in m));

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The name as a string literal, an object key or a property access. */
const spelled = (name: string) => new RegExp(`(['"\`])${literal(name)}\\1|\\b${literal(name)}\\s*\\??:|\\.${literal(name)}\\b`);

describe('field tables', () => {
  it('the dialects converted so far declare their members in a field table', () => {
    expect(withTable).toEqual(expect.arrayContaining(['bigcapital', 'meteroid', 'zenskar']));
  });

  describe.each(withTable)('%s', (dialect) => {
    it('spells its wire names only in fields.ts', async () => {
      const tables = Object.values(await import(`../dialects/${dialect}/fields.ts`)).filter(isTable);
      const wire = [...new Set(tables.flatMap((t) => Object.keys(t)))].filter((name) => !canonical.has(name));
      expect(wire.length).toBeGreaterThan(0);
      const files = readdirSync(new URL(`${dialect}/`, root)).filter(
        (f) => f.endsWith('.ts') && f !== 'fields.ts' && f !== 'fixtures.ts' && !f.endsWith('.test.ts'),
      );
      const found = files.flatMap((file) => {
        const source = readFileSync(new URL(`${dialect}/${file}`, root), 'utf8');
        return wire.filter((name) => spelled(name).test(source)).map((name) => `${file}: ${name}`);
      });
      expect(found).toEqual([]);
    });
  });
});
