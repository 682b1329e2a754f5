import { Command } from 'commander';
import { packageVersion } from '../package-info.ts';
import { readFileSync } from 'node:fs';
import type { Registry } from '../contract/registry.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { devWorkerCommand, serveCommand } from './serve.ts';

// commander: subcommands, --help and argument errors as users expect, with no hand-written parsing.

const env = process.env;

/**
 * The dialects every command knows: the static registry, handed down from here. Loaded on first
 * use, as every command's own code is (below): a command that needs no dialect does not pay for
 * five of them.
 */
async function dialects(): Promise<{ readonly registry: Registry; readonly all: readonly AnyDialect[] }> {
  const [{ registry }, { dialectList }] = await Promise.all([import('../../dialects/index.ts'), import('../contract/registry.ts')]);
  return { registry, all: dialectList(registry) };
}

const program = new Command('custgate')
  .description('Multi-dialect customer-update gateway')
  .version(packageVersion, '-v, --version')
  .showHelpAfterError();

// A command run beside a serving gateway on the same SQLite file (docs/migrating.md runs import,
// backfill and reconcile that way) waits for the write lock between the server's commits. The
// server's own bound (CUSTGATE_SQLITE_BUSY_TIMEOUT_MS, 100 ms) exists to answer a request 503
// quickly; a command that gave up as fast would fail a migration under ordinary load.
const commandBusyTimeoutMs = '10000';
program.hook('preAction', (_program, action) => {
  if (action.name() !== 'serve') env.CUSTGATE_SQLITE_BUSY_TIMEOUT_MS ??= commandBusyTimeoutMs;
});

const d1Migrations = (program: Command): void => {
  program
    .command('d1-migrations')
    .description("write D1's migrations folder (migrations/*.sql) from src/store/migrations.ts")
    .option('--check', 'write nothing; fail if the folder is out of date')
    .action(async (opts: { check?: boolean }) => {
      const { syncD1Migrations } = await import('../cli/d1-tools.ts');
      const report = await syncD1Migrations({ write: opts.check !== true });
      if (report.extra.length > 0) console.error(`not produced by any migration: ${report.extra.join(', ')}`);
      if (opts.check && (report.stale.length > 0 || report.extra.length > 0)) {
        if (report.stale.length > 0) console.error(`out of date: ${report.stale.join(', ')} (run npm run d1:migrations)`);
        process.exitCode = 1;
        return;
      }
      console.log(report.stale.length > 0 ? `wrote ${report.stale.join(', ')}` : 'D1 migrations are up to date');
    });
};

const translateCommand = (program: Command): void => {
  program
    .command('translate [file]')
    .description('translate an update body (JSON, from the file or standard input) between dialects, with a loss report')
    .requiredOption('--from <dialect>', 'the dialect the body is written in')
    .requiredOption('--to <dialect>', 'the dialect to translate into')
    .option('--strict', 'exit with status 3 when the translation loses anything')
    .action(async (file: string | undefined, opts: { from: string; to: string; strict?: boolean }) => {
      const [{ dialectNamed, translate }, { isGatewayError }, { all }] = await Promise.all([
        import('../gateway/translate.ts'),
        import('../contract/errors.ts'),
        dialects(),
      ]);
      try {
        const text = readFileSync(file ?? 0, 'utf8');
        const result = translate(dialectNamed(all, opts.from, 'from'), dialectNamed(all, opts.to, 'to'), JSON.parse(text));
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        if (opts.strict && result.losses.length > 0) {
          console.error(`custgate: the translation loses ${result.losses.length} thing(s); see "losses"`);
          process.exitCode = 3;
        }
      } catch (error) {
        const issues = isGatewayError(error) ? (error.details.issues ?? []) : [];
        console.error(`custgate: ${error instanceof Error ? error.message : String(error)}`);
        for (const issue of issues) console.error(`  ${issue.path.join('.')}: ${issue.message}`);
        process.exitCode = 2;
      }
    });
};

/** Top-level commands, in the order `--help` lists them, each with how to load its code. */
interface CommandModule {
  readonly names: readonly string[];
  readonly load: () => Promise<(program: Command) => void>;
}

// A command's code is loaded only when it runs: `custgate upstream import` need not load the HTTP
// server, the console, the webhooks sender and every other command (a CLI start was 150 MB and 2 s
// of CPU before any work). `--help`, an unknown command and `help <command>` load them all.
const modules: readonly CommandModule[] = [
  { names: ['serve'], load: async () => (p) => serveCommand(p, env, dialects) },
  {
    names: ['export', 'import'],
    load: async () => {
      const { registerTransferCommands } = await import('../cli/transfer.ts');
      return (p) => registerTransferCommands(p, env);
    },
  },
  {
    names: ['tenant', 'credentials', 'token'],
    load: async () => {
      const [{ registerTenantCommands }, { registry }] = await Promise.all([import('../cli/tenants.ts'), dialects()]);
      return (p) => registerTenantCommands(p, env, registry);
    },
  },
  {
    names: ['reset'],
    load: async () => {
      const { registerResetCommand } = await import('../cli/reset.ts');
      // The dialects only for --fixtures: a plain reset does not load them.
      return (p) => registerResetCommand(p, env, async () => (await dialects()).all);
    },
  },
  {
    names: ['simulate'],
    load: async () => {
      const [{ registerSimulateCommands }, { all }] = await Promise.all([import('../cli/simulate.ts'), dialects()]);
      return (p) => registerSimulateCommands(p, env, all);
    },
  },
  {
    names: ['fixtures'],
    load: async () => {
      const [{ registerFixtureCommands }, { all }] = await Promise.all([import('../cli/fixtures.ts'), dialects()]);
      return (p) => registerFixtureCommands(p, env, all);
    },
  },
  {
    names: ['logs'],
    load: async () => {
      const [{ registerLogsCommands }, { all }] = await Promise.all([import('../cli/logs.ts'), dialects()]);
      return (p) => registerLogsCommands(p, env, all);
    },
  },
  {
    names: ['tenant'],
    load: async () => {
      const { registerSigningKeyCommands } = await import('../cli/signing-keys.ts');
      return (p) => registerSigningKeyCommands(p, env);
    },
  },
  { names: ['dev-worker'], load: async () => (p) => devWorkerCommand(p, env, dialects) },
  { names: ['d1-migrations'], load: async () => d1Migrations },
  { names: ['translate'], load: async () => translateCommand },
  {
    names: ['upstream'],
    load: async () => {
      // Each command loads the dialects of the upstreams it touches, not all five.
      const [{ upstreamCommands }, { dialectLoaders }, { lazyDialects }] = await Promise.all([
        import('../cli/upstream.ts'),
        import('../../dialects/lazy.ts'),
        import('../contract/registry.ts'),
      ]);
      return (p) => upstreamCommands(p, env, lazyDialects(dialectLoaders));
    },
  },
  {
    names: ['outbox', 'shadow'],
    load: async () => {
      const [{ registerOutboxCommands }, { openStore }] = await Promise.all([import('../cli/outbox.ts'), import('../open-store.ts')]);
      return (p) => registerOutboxCommands(p, () => openStore(env));
    },
  },
  {
    names: ['webhook'],
    load: async () => {
      const [{ registerWebhookCommands }, { all }] = await Promise.all([import('../cli/webhooks.ts'), dialects()]);
      return (p) => registerWebhookCommands(p, env, all);
    },
  },
  {
    names: ['listen', 'trigger'],
    load: async () => {
      const [{ registerListenCommands }, { all }] = await Promise.all([import('../cli/listen.ts'), dialects()]);
      return (p) => registerListenCommands(p, env, all);
    },
  },
];

/** The modules to load for these arguments: the named command's, or all of them. */
function modulesFor(args: readonly string[]): readonly CommandModule[] {
  const named = args[0];
  const owners = modules.filter((m) => named !== undefined && m.names.includes(named));
  return owners.length > 0 ? owners : modules;
}

async function main(): Promise<void> {
  const wanted = modulesFor(process.argv.slice(2));
  const registrars = await Promise.all(wanted.map((m) => m.load()));
  for (const register of registrars) register(program);
  await program.parseAsync(process.argv);
}

main().catch((error: unknown) => {
  console.error(`custgate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
