import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { openStore } from '../open-store.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { resetAnswer, resetTenant } from '../store/tenant-reset.ts';
import { readFixtureFile } from './fixtures.ts';

// `custgate reset --tenant t`: the CLI form of POST /gateway/v1/reset, for a dev database, with the
// same answer (docs/dev-server.md). It reaches the database only, so it cannot know the fixtures a
// running server loads again on its reset: `--fixtures <file>` names them.

type Env = Readonly<Record<string, string | undefined>>;

export function registerResetCommand(program: Command, env: Env, dialects: () => Promise<readonly AnyDialect[]>): void {
  program
    .command('reset')
    .description(
      "empty one tenant's customers, events, idempotency keys and outbox (credentials stay), then load --fixtures if given; not in production",
    )
    .requiredOption('--tenant <tenant>', 'the tenant (id, or a name only one tenant has)')
    .option('--fixtures <file>', 'a fixture file (JSON or YAML, as serve --fixtures) to load into the emptied tenant')
    .option('--json', 'print one JSON object and nothing else')
    .action(async (opts: { tenant: string; fixtures?: string; json?: boolean }) => {
      if (loadConfig(env).production) throw new Error('reset is a development command: it is refused with NODE_ENV=production');
      // The file is read and checked before anything is emptied: a wrong path leaves the tenant as it is.
      const load = opts.fixtures === undefined ? undefined : await readFixtureFile(env, await dialects(), opts.fixtures);
      const store = await openStore(env);
      try {
        const tenant = await findTenant(store, opts.tenant);
        const deleted = await resetTenant(store, tenant.id);
        const fixtures = load && (await load(store, tenant.id)).customers;
        const answer = resetAnswer(tenant, deleted, fixtures);
        const loaded = fixtures ? ` Loaded ${Object.keys(fixtures).length} fixture(s): ${Object.keys(fixtures).join(', ')}.` : '';
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(answer)}\n`
            : `Reset ${tenant.name} (${tenant.id}): ${deleted.customers} customer(s) deleted.${loaded}\n`,
        );
      } finally {
        await store.executor.close();
      }
    });
}
