import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { configOf, loadConfig, loadEnv, type Env as ParsedEnv } from '../config.ts';
import { printDemo } from '../cli/output.ts';
import type { Registry } from '../contract/registry.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { Env } from '../cli/with-store.ts';

// The commands that run a gateway: `serve` (Node) and `dev-worker` (the Workers build, locally).

/** The dialects every command knows (src/entries/cli.ts loads them on first use). */
export type Dialects = () => Promise<{ readonly registry: Registry; readonly all: readonly AnyDialect[] }>;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

/** --port, else PORT (checked by the config schema), else 8787. */
const listenPort = (parsed: Pick<ParsedEnv, 'PORT'>, flag: number | undefined): number => flag ?? parsed.PORT ?? 8787;

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

/** The address a server listening on `host` is reached at (an IPv6 address in brackets). */
const listenUrl = (host: string, port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Drains and closes a gateway on a stop signal: the exit code, 0, or 1 when the close failed,
 * said in one line (a store that would not close), not as an unhandled rejection's stack trace.
 */
export async function drainAndStop(close: () => Promise<void>, who: string): Promise<number> {
  const started = Date.now();
  try {
    await close();
    human(`custgate${who}: drained in ${Date.now() - started} ms; stopped`);
    return 0;
  } catch (error) {
    human(`custgate${who}: stopping failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

interface ServeOptions {
  readonly port?: number;
  readonly host: string;
  readonly demo: boolean;
  readonly workers: number;
  readonly fixtures?: string;
  readonly fixturesTenant?: string;
  readonly allowProduction?: boolean;
}

export const serveCommand = (program: Command, env: Env, dialects: Dialects): void => {
  program
    .command('serve')
    .description('start the HTTP server (DATABASE_URL selects the store; default ./data/custgate.db)')
    .option('-p, --port <port>', 'port to listen on (default: PORT, else 8787)', port)
    .option('-H, --host <host>', 'address to listen on (HOST; default 127.0.0.1, this machine only)', env.HOST ?? '127.0.0.1')
    .option('--no-demo', 'do not create a demo tenant on an empty database')
    .option('-w, --workers <n>', 'gateway processes sharing the port (PostgreSQL only; 0: one per core)', workerCount, 1)
    .option('--fixtures <file>', 'on start, load this fixture file (custgate fixtures load) into a tenant that has no customers yet')
    .option('--allow-production', 'with NODE_ENV=production: load --fixtures anyway (refused there by default)')
    .option(
      '--fixtures-tenant <tenant>',
      'the tenant --fixtures loads into (default: the only tenant, as the demo tenant is on an empty database; with several, one must be named)',
    )
    .action(async (options: ServeOptions) => {
      const [
        { isClusterWorker, runPrimary },
        { GatewayMetrics },
        { checkTraceFile, parsedNodeLogger, openParsedStore, probeListen, startNode },
        { createTenant },
        { fixturesTenantId, loadFixturesOnStart, reloadFixturesOnReset },
        { registry, all },
      ] = await Promise.all([
        import('./cluster.ts'),
        import('../metrics.ts'),
        import('./node.ts'),
        import('../gateway/tenants.ts'),
        import('../cli/fixtures.ts'),
        dialects(),
      ]);
      // Parsed once: the store, the logger and the server are made from this.
      const parsed = loadEnv(env);
      const config = configOf(parsed);
      const opts = { ...options, port: listenPort(parsed, options.port) };
      // As `fixtures load`: made-up customers in a production store are customers to every client
      // and mirror there, so this asks for an explicit yes, before anything is opened or listened on.
      if (opts.fixtures !== undefined && config.production && opts.allowProduction !== true) {
        throw new Error(
          'serve --fixtures is a development option: it is refused with NODE_ENV=production; add --allow-production to load the file anyway',
        );
      }
      // Before the store is opened and a demo tenant made, as a bad variable is.
      const traceFile = parsed.CUSTGATE_REQUEST_TRACE;
      if (traceFile) checkTraceFile(traceFile);
      if (opts.workers > 1 && !isClusterWorker()) {
        if (parsed.DATABASE_URL.kind !== 'postgres') {
          throw new Error(
            '--workers needs PostgreSQL (DATABASE_URL=postgres://…). SQLite lets one process write at a time, ' +
              'so more processes would only queue on its file lock; run one process on SQLite.',
          );
        }
        // Migrate and create the demo tenant once, before the workers start: and only once the
        // address is known to be free, or a failed start keeps a demo nobody was shown.
        await probeListen(opts.host, opts.port);
        const store = await openParsedStore(parsed);
        try {
          if (opts.demo && !config.production && (await store.countTenants()) === 0) {
            printDemo(registry, await createTenant(store, config, 'demo', { dialects: all }), listenUrl(opts.host, opts.port), human);
          }
          if (opts.fixtures !== undefined) human(await loadFixturesOnStart(store, config, all, opts.fixtures, opts.fixturesTenant));
        } finally {
          await store.executor.close();
        }
        human(`custgate: starting ${opts.workers} workers on ${listenUrl(opts.host, opts.port)} (postgres)`);
        runPrimary({ workers: opts.workers, log: (line) => console.error(line) });
        return;
      }
      const leader = !isClusterWorker();
      // A worker's listen goes through the primary, which asked already.
      if (leader) await probeListen(opts.host, opts.port);
      const metrics = new GatewayMetrics();
      const logger = parsedNodeLogger(parsed);
      const store = await openParsedStore(parsed, { onError: metrics.storeError });
      let demo: Awaited<ReturnType<typeof createTenant>> | undefined;
      let resetFixtures: ReturnType<typeof reloadFixturesOnReset> | undefined;
      try {
        if (leader && opts.demo && !config.production && (await store.countTenants()) === 0) {
          demo = await createTenant(store, config, 'demo', { dialects: all });
        }
        // Before listening: the first request already sees the seeded customers.
        if (leader && opts.fixtures !== undefined) human(await loadFixturesOnStart(store, config, all, opts.fixtures, opts.fixturesTenant));
        // The tenant resets load the file into, as this start found it: "the only tenant" is no
        // longer one once another is made, and a reset of any tenant would fail on it.
        if (opts.fixtures !== undefined) {
          const target = await fixturesTenantId(store, opts.fixturesTenant);
          resetFixtures = reloadFixturesOnReset(store, config, all, opts.fixtures, target);
        }
      } catch (error) {
        await store.executor.close();
        throw error;
      }
      const gateway = await startNode(env, {
        port: opts.port,
        hostname: opts.host,
        store,
        storeFromEnv: true,
        parsed,
        metrics,
        logger,
        ...(resetFixtures ? { resetFixtures } : {}),
      });
      const base = listenUrl(opts.host, gateway.port);
      const who = isClusterWorker() ? ` worker ${process.pid}` : '';
      human(`custgate${who} listening on ${base} (${store.executor.backend})`);
      if (demo) printDemo(registry, demo, base, human);
      const stop = (signal: string) => {
        human(`custgate${who}: ${signal}: no longer accepting connections; draining requests in flight`);
        void drainAndStop(() => gateway.close(), who).then((code) => {
          logger.flush();
          process.exit(code);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
};

export const devWorkerCommand = (program: Command, env: Env, dialects: Dialects): void => {
  program
    .command('dev-worker')
    .description('serve the Workers build locally (wrangler dev) on a persisted local D1, migrated')
    .option('-p, --port <port>', 'port to listen on (default: PORT, else 8787)', port)
    .option('--persist-to <dir>', "wrangler's local state folder (default .wrangler/state)")
    .option('--no-demo', 'do not create a demo tenant in an empty local D1')
    .action(async (options: { port?: number; persistTo?: string; demo: boolean }) => {
      const opts = { ...options, port: listenPort(loadEnv(env), options.port) };
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
