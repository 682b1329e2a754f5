import { Command, InvalidArgumentError } from 'commander';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from './config.ts';
import type { AnyDialect } from './dialect.ts';
import { openStore, startNode } from './node.ts';
import { createTenant } from './tenants.ts';
import { dialectNamed, translate } from './translate.ts';
import { isGatewayError } from './errors.ts';
import { readFileSync } from 'node:fs';

// commander: subcommands, --help and argument errors as users expect, with no hand-written parsing.

const env = process.env;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

/** Shell-quotes a value for the printed curl examples. */
const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

function printDemo(created: Awaited<ReturnType<typeof createTenant>>, base: string): void {
  const lines = [
    '',
    `Created the demo tenant "${created.tenant.name}" (${created.tenant.id}). Its credentials, shown once:`,
    JSON.stringify(created.credentials, null, 2),
    '',
    'Try (create a customer through each dialect):',
  ];
  for (const dialect of Object.values(dialects) as AnyDialect[]) {
    const credentials = created.credentials[dialect.name];
    if (!credentials) continue;
    const headers = Object.entries({ 'content-type': 'application/json', ...dialect.examples.auth(credentials) })
      .map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`)
      .join(' ');
    const url = `${base}${dialect.routes.prefix}${dialect.routes.collection}`;
    lines.push(`  # ${dialect.title}`, `  curl -s ${url} ${headers} -d ${quote(JSON.stringify(dialect.examples.create))}`);
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
  .action(async (opts: { port: number; host: string; demo: boolean }) => {
    const store = await openStore(env);
    const config = loadConfig(env);
    const gateway = await startNode(env, { port: opts.port, hostname: opts.host, store });
    const base = `http://localhost:${gateway.port}`;
    console.log(`custgate listening on ${base} (${store.executor.backend})`);
    if (opts.demo && !config.production && (await store.countTenants()) === 0) {
      printDemo(await createTenant(store, config, 'demo'), base);
    }
    const stop = () => {
      gateway.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
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

program
  .command('translate [file]')
  .description('translate an update body (JSON, from the file or standard input) between dialects, with a loss report')
  .requiredOption('--from <dialect>', 'the dialect the body is written in')
  .requiredOption('--to <dialect>', 'the dialect to translate into')
  .option('--strict', 'exit with status 3 when the translation loses anything')
  .action((file: string | undefined, opts: { from: string; to: string; strict?: boolean }) => {
    try {
      const text = readFileSync(file ?? 0, 'utf8');
      const result = translate(dialectNamed(opts.from, 'from'), dialectNamed(opts.to, 'to'), JSON.parse(text));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (opts.strict && result.losses.length > 0) {
        console.error(`custgate: the translation loses ${result.losses.length} thing(s); see "losses"`);
        process.exitCode = 3;
      }
    } catch (error) {
      const issues = isGatewayError(error) ? error.details.issues ?? [] : [];
      console.error(`custgate: ${error instanceof Error ? error.message : String(error)}`);
      for (const issue of issues) console.error(`  ${issue.path.join('.')}: ${issue.message}`);
      process.exitCode = 2;
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`custgate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
