import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { simulateRule } from '../contract/simulation.ts';
import { randomBase62 } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { deleteSimulateRule, insertSimulateRule, listSimulateRules, ruleView } from '../store/simulate-rules.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { printAnswer } from './output.ts';
import { type Env, withStore } from './with-store.ts';

// `custgate simulate add|list|remove --tenant t`: the CLI form of /gateway/v1/simulate. Rules are
// stored in the database, so a running dev server obeys them within a second.

async function withTenant<T>(env: Env, ref: string, run: (store: Store, tenant: { id: string; name: string }) => Promise<T>): Promise<T> {
  if (loadConfig(env).production) throw new Error('simulate rules are a development feature: refused with NODE_ENV=production');
  return withStore(env, async (store) => run(store, await findTenant(store, ref)));
}

const describeRule = (r: ReturnType<typeof ruleView>) =>
  `${r.id}  ${r.status}  ${r.method ?? 'any method'} ${r.path ?? 'any path'}${r.every ? `  every ${r.every}` : ''}${r.times ? `  first ${r.times}` : ''}`;

export function registerSimulateCommands(program: Command, env: Env, all: readonly AnyDialect[]): void {
  const simulate = program.command('simulate').description("a tenant's rules that make matching requests fail on purpose (dev mode only)");
  simulate
    .command('add')
    .description('add a rule: matching requests fail as the Custgate-Simulate header would make them')
    .requiredOption('--tenant <tenant>', 'the tenant (id or name)')
    .requiredOption('--status <what>', '500, 503, … | rate_limit | latency:<ms> | timeout[:<ms>] | card_declined')
    .option('--path <path>', 'a path prefix (/v1/customers) or a glob with * (/wooshpay/*/customers/*)')
    .option('--method <method>', 'only this HTTP method')
    .option('--every <nth>', 'only every n-th matching request (3rd)')
    .option('--times <n>', 'only the first n matching requests')
    .option('--json', 'print the rule as JSON')
    .action(
      async (opts: { tenant: string; status: string; path?: string; method?: string; every?: string; times?: string; json?: boolean }) => {
        const spec = simulateRule(opts, all);
        if (typeof spec === 'string') throw new Error(spec);
        await withTenant(env, opts.tenant, async (store, tenant) => {
          const row = { id: `sim_${randomBase62(14)}`, tenant_id: tenant.id, ...spec, created_at: new Date().toISOString() };
          await insertSimulateRule(store, row);
          printAnswer(opts.json, ruleView(row), () => `Added ${describeRule(ruleView(row))} for ${tenant.name}.\n`);
        });
      },
    );
  simulate
    .command('list')
    .description("the tenant's rules, the first matching one decides")
    .requiredOption('--tenant <tenant>', 'the tenant (id or name)')
    .option('--json', 'print one JSON array and nothing else')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      await withTenant(env, opts.tenant, async (store, tenant) => {
        const data = (await listSimulateRules(store, tenant.id)).map(ruleView);
        // A bare array, as `tenant list`, `upstream list` and `webhook list` print.
        printAnswer(opts.json, data, () =>
          data.length === 0 ? `No simulate rules for ${tenant.name}.\n` : `${data.map(describeRule).join('\n')}\n`,
        );
      });
    });
  simulate
    .command('remove <id>')
    .description('remove one rule')
    .requiredOption('--tenant <tenant>', 'the tenant (id or name)')
    .action(async (id: string, opts: { tenant: string }) => {
      await withTenant(env, opts.tenant, async (store, tenant) => {
        if (!(await deleteSimulateRule(store, tenant.id, id)))
          throw new Error(`${tenant.name} has no simulate rule ${id} (custgate simulate list)`);
        process.stdout.write(`Removed ${id}.\n`);
      });
    });
}
