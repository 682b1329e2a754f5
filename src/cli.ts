import { createReadStream, createWriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { isClusterWorker, runPrimary } from './cluster.ts';
import { loadConfig } from './config.ts';
import { openStore, startNode } from './node.ts';
import { isPostgresUrl } from './store/postgres.ts';
import { exportData, importData } from './store/transfer.ts';
import { createTenant } from './tenants.ts';

// commander: subcommands, --help and argument errors as users expect, with no hand-written parsing.

const env = process.env;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new InvalidArgumentError('not a number of workers (0: one per core)');
  return n === 0 ? availableParallelism() : n;
}

function printDemo(created: Awaited<ReturnType<typeof createTenant>>, base: string): void {
  const lines = [
    '',
    `Created the demo tenant "${created.tenant.name}" (${created.tenant.id}). Its credentials, shown once:`,
    JSON.stringify(created.credentials, null, 2),
    '',
    'Try:',
  ];
  const wooshpay = created.credentials.wooshpay;
  if (wooshpay?.secret_key) {
    lines.push(`  curl -s ${base}/v1/customers -u ${wooshpay.secret_key}: -d name="Jenny Rosen" -d email=jenny@example.com`);
  }
  console.log(lines.join('\n'));
}

const program = new Command('custgate')
  .description('Multi-dialect customer-update gateway')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the HTTP server (DATABASE_URL selects the store; default ./data/custgate.db)')
  .option('-p, --port <port>', 'port to listen on', port, env.PORT ? port(env.PORT) : 8787)
  .option('-H, --host <host>', 'address to listen on', env.HOST ?? '0.0.0.0')
  .option('--no-demo', 'do not create a demo tenant on an empty database')
  .option('-w, --workers <n>', 'gateway processes sharing the port (PostgreSQL only; 0: one per core)', workerCount, 1)
  .action(async (opts: { port: number; host: string; demo: boolean; workers: number }) => {
    const config = loadConfig(env);
    if (opts.workers > 1 && !isClusterWorker()) {
      if (!isPostgresUrl(env.DATABASE_URL)) {
        throw new Error(
          '--workers needs PostgreSQL (DATABASE_URL=postgres://…). SQLite lets one process write at a time, ' +
            'so more processes would only queue on its file lock; run one process on SQLite.',
        );
      }
      // Migrate and create the demo tenant once, before the workers start.
      const store = await openStore(env);
      try {
        if (opts.demo && !config.production && (await store.countTenants()) === 0) {
          printDemo(await createTenant(store, config, 'demo'), `http://localhost:${opts.port}`);
        }
      } finally {
        await store.executor.close();
      }
      console.log(`custgate: starting ${opts.workers} workers on port ${opts.port} (postgres)`);
      runPrimary({ workers: opts.workers, log: (line) => console.error(line) });
      return;
    }
    const store = await openStore(env);
    const gateway = await startNode(env, { port: opts.port, hostname: opts.host, store });
    const base = `http://localhost:${gateway.port}`;
    const who = isClusterWorker() ? ` worker ${process.pid}` : '';
    console.log(`custgate${who} listening on ${base} (${store.executor.backend})`);
    if (!isClusterWorker() && opts.demo && !config.production && (await store.countTenants()) === 0) {
      printDemo(await createTenant(store, config, 'demo'), base);
    }
    const stop = () => {
      gateway.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('export [file]')
  .description('write every tenant, credential (hashed), customer, event and live idempotency key as NDJSON (default: stdout)')
  .action(async (file: string | undefined) => {
    const store = await openStore(env);
    const out = file ? createWriteStream(file) : process.stdout;
    try {
      const counts = await exportData(store, (line) => {
        if (!out.write(`${line}\n`)) return new Promise<void>((resolve) => out.once('drain', () => resolve()));
      });
      console.error(`custgate: exported ${JSON.stringify(counts)}`);
    } finally {
      await store.executor.close();
      if (file) await new Promise<void>((resolve) => out.end(() => resolve()));
    }
  });

program
  .command('import [file]')
  .description('load an export into the (empty) store DATABASE_URL names, in one transaction (default: stdin)')
  .action(async (file: string | undefined) => {
    // Read before anything else is awaited: readline drops lines that arrive while no one iterates.
    const lines: string[] = [];
    for await (const line of createInterface({ input: file ? createReadStream(file) : process.stdin, crlfDelay: Infinity })) {
      lines.push(line);
    }
    const store = await openStore(env);
    try {
      const counts = await importData(store, lines);
      console.error(`custgate: imported ${JSON.stringify(counts)}`);
    } finally {
      await store.executor.close();
    }
  });

const tenant = program.command('tenant').description('manage tenants');
tenant
  .command('create <name>')
  .description('create a tenant and print its credentials for every dialect (shown once)')
  .option('--json', 'print one JSON object and nothing else')
  .option('--live', 'issue live-mode keys (sk_live_…) instead of test-mode ones')
  .action(async (name: string, opts: { json?: boolean; live?: boolean }) => {
    const store = await openStore(env);
    try {
      const created = await createTenant(store, loadConfig(env), name, { livemode: opts.live === true });
      if (opts.json) process.stdout.write(`${JSON.stringify(created)}\n`);
      else printDemo(created, `http://localhost:${env.PORT ?? 8787}`);
    } finally {
      await store.executor.close();
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`custgate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
