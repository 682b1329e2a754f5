import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, loadEnv } from '../config.ts';
import { printDemo } from '../cli/output.ts';
import { packageVersion } from '../package-info.ts';
import { existsSync, readFileSync } from 'node:fs';
import type { Registry } from '../contract/registry.ts';
import type { AnyDialect } from '../contract/dialect.ts';

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

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

/** --port, else PORT (checked by the config schema), else 8787. */
const listenPort = (flag: number | undefined): number => flag ?? loadEnv(env).PORT ?? 8787;

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new InvalidArgumentError('not a number of workers (0: one per core)');
  return n === 0 ? availableParallelism() : n;
}

/**
 * What `serve` says to the person who started it (banner, demo credentials, curl lines) goes to
 * stderr: stdout carries the JSON log lines alone, so `custgate serve | jq` works and the demo
 * secrets stay out of log files.
 */
const human = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

interface ServeOptions {
  readonly port?: number;
  readonly host: string;
  readonly demo: boolean;
  readonly workers: number;
  readonly fixtures?: string;
  readonly fixturesTenant?: string;
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

const serve = (program: Command): void => {
  program
    .command('serve')
    .description('start the HTTP server (DATABASE_URL selects the store; default ./data/custgate.db)')
    .option('-p, --port <port>', 'port to listen on (default: PORT, else 8787)', port)
    .option('-H, --host <host>', 'address to listen on (HOST; default 127.0.0.1, this machine only)', env.HOST ?? '127.0.0.1')
    .option('--no-demo', 'do not create a demo tenant on an empty database')
    .option('-w, --workers <n>', 'gateway processes sharing the port (PostgreSQL only; 0: one per core)', workerCount, 1)
    .option('--fixtures <file>', 'on start, load this fixture file (custgate fixtures load) into a tenant that has no customers yet')
    .option('--fixtures-tenant <tenant>', 'the tenant --fixtures loads into (default: the only one, or the demo tenant)')
    .action(async (options: ServeOptions) => {
      const [
        { isClusterWorker, runPrimary },
        { GatewayMetrics },
        { nodeLogger, openStore, startNode },
        { createTenant },
        { loadFixturesOnStart, reloadFixturesOnReset },
        { registry, all },
      ] = await Promise.all([
        import('./cluster.ts'),
        import('../metrics.ts'),
        import('./node.ts'),
        import('../gateway/tenants.ts'),
        import('../cli/fixtures.ts'),
        dialects(),
      ]);
      const config = loadConfig(env);
      const opts = { ...options, port: listenPort(options.port) };
      if (opts.workers > 1 && !isClusterWorker()) {
        if (loadEnv(env).DATABASE_URL.kind !== 'postgres') {
          throw new Error(
            '--workers needs PostgreSQL (DATABASE_URL=postgres://…). SQLite lets one process write at a time, ' +
              'so more processes would only queue on its file lock; run one process on SQLite.',
          );
        }
        // Migrate and create the demo tenant once, before the workers start.
        const store = await openStore(env);
        try {
          if (opts.demo && !config.production && (await store.countTenants()) === 0) {
            printDemo(registry, await createTenant(store, config, 'demo', { dialects: all }), `http://localhost:${opts.port}`, human);
          }
          if (opts.fixtures !== undefined) human(await loadFixturesOnStart(store, env, all, opts.fixtures, opts.fixturesTenant));
        } finally {
          await store.executor.close();
        }
        human(`custgate: starting ${opts.workers} workers on port ${opts.port} (postgres)`);
        runPrimary({ workers: opts.workers, log: (line) => console.error(line) });
        return;
      }
      const metrics = new GatewayMetrics();
      const logger = nodeLogger(env);
      const store = await openStore(env, { onError: metrics.storeError });
      const leader = !isClusterWorker();
      let demo: Awaited<ReturnType<typeof createTenant>> | undefined;
      try {
        if (leader && opts.demo && !config.production && (await store.countTenants()) === 0) {
          demo = await createTenant(store, config, 'demo', { dialects: all });
        }
        // Before listening: the first request already sees the seeded customers.
        if (leader && opts.fixtures !== undefined) human(await loadFixturesOnStart(store, env, all, opts.fixtures, opts.fixturesTenant));
      } catch (error) {
        await store.executor.close();
        throw error;
      }
      const resetFixtures =
        opts.fixtures === undefined ? undefined : reloadFixturesOnReset(store, env, all, opts.fixtures, opts.fixturesTenant);
      const gateway = await startNode(env, {
        port: opts.port,
        hostname: opts.host,
        store,
        storeFromEnv: true,
        metrics,
        logger,
        ...(resetFixtures ? { resetFixtures } : {}),
      });
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const base = `http://${host}:${gateway.port}`;
      const who = isClusterWorker() ? ` worker ${process.pid}` : '';
      human(`custgate${who} listening on ${base} (${store.executor.backend})`);
      if (demo) printDemo(registry, demo, base, human);
      const stop = (signal: string) => {
        human(`custgate${who}: ${signal}: no longer accepting connections; draining requests in flight`);
        const started = Date.now();
        gateway.close().then(() => {
          human(`custgate${who}: drained in ${Date.now() - started} ms; stopped`);
          logger.flush();
          process.exit(0);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
};

const devWorker = (program: Command): void => {
  program
    .command('dev-worker')
    .description('serve the Workers build locally (wrangler dev) on a persisted local D1, migrated')
    .option('-p, --port <port>', 'port to listen on (default: PORT, else 8787)', port)
    .option('--persist-to <dir>', "wrangler's local state folder (default .wrangler/state)")
    .option('--no-demo', 'do not create a demo tenant in an empty local D1')
    .action(async (options: { port?: number; persistTo?: string; demo: boolean }) => {
      const opts = { ...options, port: listenPort(options.port) };
      // wrangler builds the Worker from its TypeScript entry (wrangler.toml `main`), which an
      // installed package does not ship (dist/ only), and wrangler is a dev dependency.
      if (!existsSync(new URL('../../src/entries/worker.ts', import.meta.url))) {
        throw new Error(
          'dev-worker runs the Workers build from a clone of the repository, not from the installed package ' +
            '(it needs the TypeScript sources and wrangler): git clone the repository, npm install, npm run dev:worker (docs/workers.md). ' +
            'From the package, custgate serve runs the same gateway on Node.',
        );
      }
      const d1 = await import('../cli/d1-tools.ts');
      const report = await d1.syncD1Migrations({ write: false });
      if (report.stale.length > 0) throw new Error(`migrations/ is out of date (${report.stale.join(', ')}): run npm run d1:migrations`);
      const target = { database: 'DB', remote: false, persistTo: opts.persistTo };
      await d1.applyD1Migrations(target);
      if (opts.demo && (await d1.countTenantsInD1(target)) === 0) {
        // The same config the dev worker gets (NODE_ENV=development), so its JWTs verify there.
        const config = loadConfig({ ...env, NODE_ENV: 'development' });
        const { registry, all } = await dialects();
        printDemo(registry, await d1.createTenantInD1(target, config, 'demo', { dialects: all }), `http://localhost:${opts.port}`);
      }
      process.exitCode = await d1.runWranglerDev({ port: opts.port, persistTo: opts.persistTo });
    });
};

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
  { names: ['serve'], load: async () => serve },
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
  { names: ['dev-worker'], load: async () => devWorker },
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
