import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openStore } from '../open-store.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { resetTenant } from '../store/tenant-reset.ts';

// `custgate reset --tenant t`: the CLI form of POST /gateway/v1/reset, for a dev database.

type Env = Readonly<Record<string, string | undefined>>;

export function registerResetCommand(program: Command, env: Env): void {
  program
    .command('reset')
    .description("empty one tenant's customers, events, idempotency keys and outbox (credentials stay); not in production")
    .requiredOption('--tenant <tenant>', 'the tenant (id, or a name only one tenant has)')
    .option('--json', 'print one JSON object and nothing else')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      if (loadConfig(env).production) throw new Error('reset is a development command: it is refused with NODE_ENV=production');
      const store = await openStore(env);
      try {
        const tenant = await findTenant(store, opts.tenant);
        const deleted = await resetTenant(store, tenant.id);
        const result = { object: 'reset', tenant: { id: tenant.id, name: tenant.name }, deleted };
        process.stdout.write(
          opts.json ? `${JSON.stringify(result)}\n` : `Reset ${tenant.name} (${tenant.id}): ${deleted.customers} customer(s) deleted.\n`,
        );
      } finally {
        await store.executor.close();
      }
    });
}
