import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AnyDialect } from '../contract/dialect.ts';
import { loadConfig } from '../config.ts';
import { openStore } from '../open-store.ts';
import type { LoadedFixtures } from '../gateway/fixtures.ts';
import type { Store } from '../store/index.ts';
import { findTenant, listTenants } from '../store/tenant-admin.ts';

// `custgate fixtures load <file> --tenant t`: seed a dev database (src/gateway/fixtures.ts).

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and checks the file (its shape and dialects; each body is checked as it is loaded): how to
 * load it into a tenant, all or nothing.
 */
export async function readFixtureFile(env: Env, all: readonly AnyDialect[], file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // Loaded here, not with the CLI: the YAML parser is not kept in a server's memory for a dev-only flag.
  const { checkFile, loadFixtures, parseFixtureText } = await import('../gateway/fixtures.ts');
  const data = parseFixtureText(text, file);
  checkFile(data, all);
  return (store: Store, tenantId: string): Promise<LoadedFixtures> => loadFixtures(store, loadConfig(env), { id: tenantId }, data, all);
}

/** Reads the file and creates its customers in the tenant; all or nothing. */
export async function loadFixtureFile(
  store: Store,
  env: Env,
  all: readonly AnyDialect[],
  tenantId: string,
  file: string,
): Promise<LoadedFixtures> {
  return (await readFixtureFile(env, all, file))(store, tenantId);
}

export function registerFixtureCommands(program: Command, env: Env, all: readonly AnyDialect[]): void {
  program
    .command('fixtures')
    .description('seed data for a dev database')
    .command('load <file>')
    .description(
      "create the customers a JSON or YAML fixture file describes, each in a dialect's create shape, strings referring to earlier ones (docs/dev-server.md)",
    )
    .requiredOption('--tenant <tenant>', 'the tenant (id, or a name only one tenant has)')
    .option('--json', 'print one JSON object and nothing else')
    .action(async (file: string, opts: { tenant: string; json?: boolean }) => {
      const store = await openStore(env);
      try {
        const tenant = await findTenant(store, opts.tenant);
        const loaded = await loadFixtureFile(store, env, all, tenant.id, file);
        const names = Object.keys(loaded.customers);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ object: 'fixtures', tenant: { id: tenant.id, name: tenant.name }, customers: loaded.customers })}\n`
            : `Loaded ${names.length} customer(s) into ${tenant.name} (${tenant.id}): ${names.join(', ')}\n`,
        );
      } finally {
        await store.executor.close();
      }
    });
}

/**
 * `serve --fixtures <file>`: into the named tenant, else the only one; a tenant that has customers
 * already is left as it is, so a restart on the same database does not load the file twice.
 */
export async function loadFixturesOnStart(
  store: Store,
  env: Env,
  all: readonly AnyDialect[],
  file: string,
  tenantRef?: string,
): Promise<string> {
  const target = await fixturesTarget(store, tenantRef);
  if (target.customers > 0) return `fixtures: ${target.name} has customers already; ${file} not loaded`;
  const loaded = await loadFixtureFile(store, env, all, target.id, file);
  return `fixtures: loaded ${Object.keys(loaded.customers).length} customer(s) from ${file} into ${target.name}`;
}

/** The tenant `serve --fixtures` loads into: the one named, else the only one. */
async function fixturesTarget(store: Store, tenantRef: string | undefined) {
  const tenants = await listTenants(store, new Date());
  const tenant = tenantRef === undefined ? undefined : await findTenant(store, tenantRef);
  const target = tenant ? tenants.find((t) => t.id === tenant.id) : tenants.length === 1 ? tenants[0] : undefined;
  if (!target) {
    throw new Error(`--fixtures: the database has ${tenants.length} tenants; name one with --fixtures-tenant <tenant>`);
  }
  return target;
}

/**
 * `serve --fixtures`, after `POST /gateway/v1/reset` emptied a tenant: the file again (read afresh,
 * as on a start), when that is the tenant it loads into; the fixtures' answers by name.
 */
export function reloadFixturesOnReset(store: Store, env: Env, all: readonly AnyDialect[], file: string, tenantRef?: string) {
  return async (tenantId: string): Promise<Readonly<Record<string, unknown>> | undefined> => {
    if ((await fixturesTarget(store, tenantRef)).id !== tenantId) return undefined;
    return (await loadFixtureFile(store, env, all, tenantId, file)).customers;
  };
}
