import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dialectNames } from '../dialects/index.ts';
import { fieldNames } from '../schemas/index.ts';

// A dialect with a field table (dialects/<name>/fields.ts) spells each member's wire name there
// and nowhere else in its code: the server half, the client half, coverage and the schemas read
// the table. Its code is its folder and the shared folders it imports (stripe-like/, shared/); tests
// and fixtures (sample bodies a client would send) are not its code. A wire name
// that is also a canonical name (`email`, `city`, `livemode`) cannot be told apart from it, nor one
// the language spells itself (Stripe's `object`, and `typeof x === 'object'`), so only the others
// are looked for.

const root = new URL('../dialects/', import.meta.url);
const canonical = new Set<string>([
  ...fieldNames,
  ...['uuid', 'public_id', 'number', 'livemode', 'delinquent', 'balance', 'created_at', 'updated_at'],
  ...['line1', 'line2', 'line3', 'city', 'state', 'postal_code', 'country', 'country_name', 'phone'],
  'object',
]);

const withTable = dialectNames.filter((name) => existsSync(new URL(`${name}/fields.ts`, root)));

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
    expect(withTable).toEqual(expect.arrayContaining(['meteroid', 'zenskar', 'wooshpay', 'connhex']));
  });

  describe.each(withTable)('%s', (dialect) => {
    it('spells its wire names only in fields.ts', async () => {
      const tables = Object.values(await import(`../dialects/${dialect}/fields.ts`)).filter(isTable);
      const wire = [...new Set(tables.flatMap((t) => Object.keys(t)))].filter((name) => !canonical.has(name));
      expect(wire.length).toBeGreaterThan(0);
      const code = (folder: string) =>
        readdirSync(new URL(`${folder}/`, root))
          .filter((f) => f.endsWith('.ts') && f !== 'fields.ts' && f !== 'fixtures.ts' && !f.endsWith('.test.ts'))
          .map((f) => `${folder}/${f}`);
      const own = code(dialect);
      // A folder of code shared with other dialects (stripe-like/) is this dialect's code too.
      const sharedFolders = new Set(
        own.flatMap((file) =>
          [...readFileSync(new URL(file, root), 'utf8').matchAll(/from '\.\.\/([\w-]+)\//g)].map((m) => m[1] as string),
        ),
      );
      const files = [...own, ...[...sharedFolders].flatMap(code)];
      const found = files.flatMap((file) => {
        const source = readFileSync(new URL(file, root), 'utf8');
        // In shared code `id` is also the client contract's own name (ClientCustomer.id), so there it is not looked for.
        const names = file.startsWith(`${dialect}/`) ? wire : wire.filter((name) => name !== 'id');
        return names.filter((name) => spelled(name).test(source)).map((name) => `${file}: ${name}`);
      });
      expect(found).toEqual([]);
    });
  });
});
