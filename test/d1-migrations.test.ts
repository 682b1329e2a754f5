import { expect, it } from 'vitest';
import { syncD1Migrations } from '../src/cli/d1-tools.ts';

// migrations/ is what `wrangler d1 migrations apply` runs on D1; src/store/migrations.ts is what
// SQLite and PostgreSQL run. The folder is generated from the latter and must not drift.

it('the committed D1 migrations are exactly what src/store/migrations.ts compiles to', async () => {
  const report = await syncD1Migrations({ write: false });
  expect(report, 'run `npm run d1:migrations` and commit migrations/').toEqual({ stale: [], extra: [] });
});
