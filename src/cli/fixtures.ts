import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { type GatewayConfig, loadConfig } from '../config.ts';
import { openStore } from '../open-store.ts';
import type { FixtureLoad, LoadedFixtures } from '../gateway/fixtures.ts';
import type { Store } from '../store/index.ts';
import { findTenant, listCredentials, listTenants } from '../store/tenant-admin.ts';
import { printAnswer } from './output.ts';

// `custgate fixtures load <file> --tenant t`: seed a dev database (src/gateway/fixtures.ts).

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the file and checks its shape and dialects: then, for a tenant, every fixture checked as
 * the load will create it (src/gateway/fixtures.ts, planFixtures), and how to load them, all or nothing.
 */
export async function readFixtureFile(config: GatewayConfig, all: readonly AnyDialect[], file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // Loaded here, not with the CLI: the YAML parser is not kept in a server's memory for a dev-only flag.
  const { checkFile, parseFixtureText, planFixtures } = await import('../gateway/fixtures.ts');
  const data = parseFixtureText(text, file);
  checkFile(data, all);
  // `first`: the number the tenant's next customer gets (planFixtures); 1 once a reset emptied it.
  // `livemode`: the mode the customers are made in (fixturesLivemode).
  return (tenantId: string, first?: number, livemode = false): FixtureLoad =>
    planFixtures(config, { id: tenantId, livemode }, data, all, first);
}

/**
 * The mode a tenant's fixtures are made in, as its keys' own creates would make them: live for a
 * tenant whose every key in use is live (`tenant create --live`), where test-mode customers would
 * be seen by none of them; test for every other.
 */
export async function fixturesLivemode(store: Store, tenantId: string, now = new Date()): Promise<boolean> {
  const inUse = (await listCredentials(store, tenantId)).filter((k) => k.revoked_at === null || k.revoked_at > now.toISOString());
  return inUse.length > 0 && inUse.every((k) => Number(k.livemode) === 1);
}

/** Reads the file and creates its customers in the tenant; all or nothing. */
export async function loadFixtureFile(
  store: Store,
  config: GatewayConfig,
  all: readonly AnyDialect[],
  tenantId: string,
  file: string,
): Promise<LoadedFixtures> {
  const plan = await readFixtureFile(config, all, file);
  return plan(tenantId, await store.nextNumber(tenantId), await fixturesLivemode(store, tenantId))(store);
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
    .option('--allow-production', 'with NODE_ENV=production: load the file anyway (refused there by default)')
    .action(async (file: string, opts: { tenant: string; json?: boolean; allowProduction?: boolean }) => {
      // Made-up customers in a production store are customers to every client and mirror there,
      // so this dev tool asks for an explicit yes, before anything is opened or read.
      if (loadConfig(env).production && opts.allowProduction !== true) {
        throw new Error(
          'fixtures load is a development command: it is refused with NODE_ENV=production; add --allow-production to load the file anyway',
        );
      }
      const store = await openStore(env);
      try {
        const tenant = await findTenant(store, opts.tenant);
        const loaded = await loadFixtureFile(store, loadConfig(env), all, tenant.id, file);
        const names = Object.keys(loaded.customers);
        printAnswer(
          opts.json,
          { object: 'fixtures', tenant: { id: tenant.id, name: tenant.name }, customers: loaded.customers },
          () => `Loaded ${names.length} customer(s) into ${tenant.name} (${tenant.id}): ${names.join(', ')}\n`,
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
  config: GatewayConfig,
  all: readonly AnyDialect[],
  file: string,
  tenantRef?: string,
): Promise<string> {
  const target = await fixturesTarget(store, tenantRef);
  if (target.customers > 0) return `fixtures: ${target.name} has customers already; ${file} not loaded`;
  const loaded = await loadFixtureFile(store, config, all, target.id, file);
  return `fixtures: loaded ${Object.keys(loaded.customers).length} customer(s) from ${file} into ${target.name}`;
}

/**
 * The id of the tenant `serve --fixtures` loads into, resolved once when the server starts: a
 * tenant made later does not make "the only one" ambiguous for its resets.
 */
export const fixturesTenantId = async (store: Store, tenantRef: string | undefined): Promise<string> =>
  (await fixturesTarget(store, tenantRef)).id;

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
 * `serve --fixtures`, before `POST /gateway/v1/reset` empties a tenant: when that is the tenant it
 * loads into (`target`, its id: fixturesTenantId), the file again (read afresh, as on a start),
 * every fixture checked as the load will create it; the load, which runs after the reset. A file
 * that cannot be read or fails its check is the reset's 409, and nothing is emptied.
 */
export function reloadFixturesOnReset(store: Store, config: GatewayConfig, all: readonly AnyDialect[], file: string, target: string) {
  return async (tenantId: string): Promise<(() => Promise<Readonly<Record<string, unknown>>>) | undefined> => {
    if (target !== tenantId) return undefined;
    const livemode = await fixturesLivemode(store, tenantId);
    const load = await checkedForReset(`the fixtures in ${file}`, async () =>
      (await readFixtureFile(config, all, file))(tenantId, undefined, livemode),
    );
    return async () => (await load(store)).customers;
  };
}

/** Reads and checks the fixtures a reset loads again: any failure is the reset's refusal (a 409), before anything is emptied. */
export async function checkedForReset<T>(what: string, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new GatewayError('conflict', `Nothing was reset: ${what}, loaded again after a reset, fail their check. ${why}`);
  }
}
