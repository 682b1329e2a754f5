import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { openStore } from '../open-store.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { type ResetReport, resetAnswer, resetTenant } from '../store/tenant-reset.ts';
import { fixturesLivemode, readFixtureFile } from './fixtures.ts';
import { printAnswer } from './output.ts';

// `custgate reset --tenant t`: the CLI form of POST /gateway/v1/reset, for a dev database, with the
// same answer (docs/dev-server.md). It reaches the database only, so it cannot know the fixtures a
// running server loads again on its reset: `--fixtures <file>` names them.

type Env = Readonly<Record<string, string | undefined>>;

/** Fixtures that passed their check failed to load after the reset (a store error): said so, the tenant being empty now. */
function loadFailed(error: unknown, tenant: { id: string; name: string }, deleted: ResetReport, file: string | undefined): Error {
  const why = error instanceof Error ? error.message : String(error);
  return new Error(
    `${tenant.name} (${tenant.id}) was reset (${deleted.customers} customer(s) deleted), but ${file}, which passed its check, ` +
      `failed to load: ${why.replace(/\.$/, '')}. The tenant is empty now; load the file again with \`custgate fixtures load ${file} --tenant ${tenant.id}\`.`,
  );
}

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
      const config = loadConfig(env);
      if (config.production) throw new Error('reset is a development command: it is refused with NODE_ENV=production');
      const read = opts.fixtures === undefined ? undefined : await readFixtureFile(config, await dialects(), opts.fixtures);
      const store = await openStore(env);
      try {
        const tenant = await findTenant(store, opts.tenant);
        // Every fixture is checked as the load will create it before anything is emptied: a wrong
        // path or a body a dialect refuses leaves the tenant's customers where they are.
        const load = read?.(tenant.id, undefined, await fixturesLivemode(store, tenant.id));
        const deleted = await resetTenant(store, tenant.id);
        const fixtures =
          load &&
          (await load(store).catch((error: unknown) => Promise.reject(loadFailed(error, tenant, deleted, opts.fixtures)))).customers;
        const answer = resetAnswer(tenant, deleted, fixtures);
        const loaded = fixtures ? ` Loaded ${Object.keys(fixtures).length} fixture(s): ${Object.keys(fixtures).join(', ')}.` : '';
        printAnswer(opts.json, answer, () => `Reset ${tenant.name} (${tenant.id}): ${deleted.customers} customer(s) deleted.${loaded}\n`);
      } finally {
        await store.executor.close();
      }
    });
}
