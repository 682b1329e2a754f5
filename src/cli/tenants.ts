import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig, loadEnv } from '../config.ts';
import type { AnyDialect, IssuedCredentials } from '../contract/dialect.ts';
import { dialectList, type Registry, registeredDialect } from '../contract/registry.ts';
import { openStore } from '../open-store.ts';
import type { Store } from '../store/index.ts';
import { findTenant, listCredentials, listTenants, revokeCredentials } from '../store/tenant-admin.ts';
import { type CreatedTenant, createTenant, mintToken, reissueCredentials } from '../gateway/tenants.ts';
import { durationSeconds, envLines, printAnswer, printDemo, printJson, table } from './output.ts';
import { givenFrom, givenKeyOptions } from './given-keys.ts';

// Tenant lifecycle: create, list, rotate and revoke credentials, mint JWTs. Every command has a
// --json form (one JSON document on stdout, nothing else) for scripts.

type Env = Readonly<Record<string, string | undefined>>;

interface TenantCreateOptions {
  readonly json?: boolean;
  readonly env?: boolean;
  readonly live?: boolean;
  readonly d1?: string;
  readonly local?: boolean;
  readonly remote?: boolean;
  readonly persistTo?: string;
  readonly wranglerConfig?: string;
}

export const duration = (value: string): number => {
  try {
    return durationSeconds(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

/** A token's lifetime: a token of no lifetime is expired when issued. */
const lifetime = (value: string): number => {
  const seconds = duration(value);
  if (seconds <= 0) throw new InvalidArgumentError('a token needs a lifetime of at least 1 second (90s, 15m, 12h, 30d)');
  return seconds;
};

/** The base URL printed in examples and export lines: PORT, else 8787. */
export const localBase = (env: Env): string => `http://localhost:${loadEnv(env).PORT ?? 8787}`;

async function withStore<T>(env: Env, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(env);
  try {
    return await work(store);
  } finally {
    await store.executor.close();
  }
}

const print = printAnswer;

const credentialLines = (credentials: IssuedCredentials): string =>
  Object.entries(credentials)
    .map(([field, value]) => `  ${field}: ${value}\n`)
    .join('');

export function registerTenantCommands(program: Command, env: Env, registry: Registry): void {
  const all = dialectList(registry);
  const dialectOption = (value: string): AnyDialect => {
    const dialect = registeredDialect(registry, value);
    if (!dialect) throw new InvalidArgumentError(`not a dialect (${Object.keys(registry).join(', ')})`);
    return dialect;
  };
  const tenant = program.command('tenant').description('manage tenants');
  givenKeyOptions(tenant.command('create <name>'), all)
    .description('create a tenant and print its credentials for every dialect (shown once)')
    .option('--json', 'print one JSON object and nothing else')
    .option('--env', 'print shell `export` lines (eval "$(custgate tenant create demo --env)")')
    .option('--live', 'issue live-mode keys (sk_live_…) instead of test-mode ones')
    .option('--d1 <database>', 'write to this D1 database (name or binding) through `wrangler d1 execute`')
    .option('--local', 'with --d1: the local D1 that `npm run dev:worker` uses (the default)')
    .option('--remote', 'with --d1: the D1 database on Cloudflare, for a deployed worker')
    .option('--persist-to <dir>', "with --d1 --local: wrangler's local state folder (default .wrangler/state)")
    .option('--wrangler-config <file>', 'with --d1: wrangler configuration file (default ./wrangler.toml)')
    .action(async (name: string, opts: TenantCreateOptions) => {
      if (opts.json && opts.env) throw new InvalidArgumentError('--json and --env exclude each other');
      const config = loadConfig(env);
      const livemode = opts.live === true;
      const given = givenFrom(opts as unknown as Record<string, unknown>, config.production, all);
      let created: CreatedTenant;
      if (opts.d1 !== undefined) {
        if (given) throw new InvalidArgumentError('given keys are not supported with --d1');
        if (opts.local && opts.remote) throw new InvalidArgumentError('--local and --remote exclude each other');
        if (opts.remote && opts.persistTo !== undefined) throw new InvalidArgumentError('--persist-to is for --local only');
        const { createTenantInD1 } = await import('./d1-tools.ts');
        const target = { database: opts.d1, remote: opts.remote === true, persistTo: opts.persistTo, config: opts.wranglerConfig };
        created = await createTenantInD1(target, config, name, { livemode, dialects: all });
      } else {
        created = await withStore(env, (store) =>
          createTenant(store, config, name, { livemode, dialects: all, ...(given ? { given } : {}) }),
        );
      }
      if (opts.json) printJson(created);
      else if (opts.env) process.stdout.write(envLines(created, localBase(env)));
      else printDemo(registry, created, localBase(env), console.log, 'the tenant');
    });

  tenant
    .command('list')
    .description('list tenants with their number of customers and active credentials')
    .option('--json', 'print one JSON array and nothing else')
    .action(async (opts: { json?: boolean }) => {
      const tenants = await withStore(env, (store) => listTenants(store, new Date()));
      print(opts.json, tenants, () =>
        tenants.length === 0 ? 'no tenants\n' : table(tenants, ['id', 'name', 'created_at', 'customers', 'active_credentials']),
      );
    });

  const credentials = program.command('credentials').description("list, rotate and revoke a tenant's API keys");
  credentials
    .command('list <tenant>')
    .description("a tenant's API keys (prefix, dialect, mode, when revoked), never the secrets")
    .option('--dialect <name>', "only this dialect's keys", dialectOption)
    .option('--json', 'print one JSON array and nothing else')
    .action(async (ref: string, opts: { dialect?: AnyDialect; json?: boolean }) => {
      const rows = await withStore(env, async (store) => listCredentials(store, (await findTenant(store, ref)).id, opts.dialect?.name));
      print(opts.json, rows, () => table(rows, ['id', 'kind', 'prefix', 'livemode', 'created_at', 'revoked_at']));
    });

  credentials
    .command('rotate <tenant>')
    .description('issue new credentials for one dialect and revoke the old API keys (after --grace)')
    .requiredOption('--dialect <name>', 'the dialect whose keys to rotate', dialectOption)
    .option('--grace <duration>', 'keep the old keys working this long (90s, 15m, 12h, 7d)', duration, 0)
    .option('--live', 'rotate the live-mode keys (default: test mode)')
    .option('--json', 'print one JSON object and nothing else')
    .action(async (ref: string, opts: { dialect: AnyDialect; grace: number; live?: boolean; json?: boolean }) => {
      const config = loadConfig(env);
      const livemode = opts.live === true;
      const result = await withStore(env, async (store) => {
        const found = await findTenant(store, ref);
        const old = (await listCredentials(store, found.id, opts.dialect.name)).filter(
          (c) => c.livemode === (livemode ? 1 : 0) && (c.revoked_at === null || Date.parse(c.revoked_at) > Date.now()),
        );
        const issued = await reissueCredentials(store, config, found, opts.dialect, { livemode });
        const at = new Date(Date.now() + opts.grace * 1000);
        await revokeCredentials(store, found.id, { ids: old.map((c) => c.id) }, at);
        return {
          tenant: { id: found.id, name: found.name },
          dialect: opts.dialect.name,
          credentials: issued,
          revoked: old.map((c) => c.id),
          revoked_at: at.toISOString(),
        };
      });
      print(opts.json, result, () =>
        [
          `New ${result.dialect} credentials for ${result.tenant.name} (${result.tenant.id}), shown once:\n`,
          credentialLines(result.credentials),
          result.revoked.length > 0
            ? `Revoked ${result.revoked.length} old key(s) (${result.revoked.join(', ')}) from ${result.revoked_at}.\n`
            : 'No old API key to revoke (tokens expire on their own).\n',
        ].join(''),
      );
    });

  credentials
    .command('revoke <tenant>')
    .description("revoke a tenant's API keys: one by --id, or all of a dialect's with --dialect")
    .option('--id <credential...>', 'credential ids (from credentials list)')
    .option('--dialect <name>', 'every key of this dialect', dialectOption)
    .option('--json', 'print one JSON object and nothing else')
    .action(async (ref: string, opts: { id?: string[]; dialect?: AnyDialect; json?: boolean }) => {
      if (!opts.id && !opts.dialect) throw new InvalidArgumentError('name the keys: --id <credential…> or --dialect <name>');
      const result = await withStore(env, async (store) => {
        const found = await findTenant(store, ref);
        const select = { ...(opts.id ? { ids: opts.id } : {}), ...(opts.dialect ? { kind: opts.dialect.name } : {}) };
        const revoked = await revokeCredentials(store, found.id, select, new Date());
        return { tenant: { id: found.id, name: found.name }, revoked };
      });
      print(opts.json, result, () => `Revoked ${result.revoked} key(s) of ${result.tenant.name} (${result.tenant.id}).\n`);
      if (result.revoked === 0) process.exitCode = 1;
    });

  program
    .command('token')
    .description('JSON Web Tokens for the dialects that take them')
    .command('mint <tenant>')
    .description('mint a JWT for a tenant (Connhex, Bigcapital); nothing is stored, it lives until --ttl')
    .requiredOption('--dialect <name>', 'connhex or bigcapital', dialectOption)
    .option('--permissions <list>', 'Connhex: comma-separated permission patterns (default pay:customers:get,pay:customers:update)')
    .option('--ttl <duration>', 'lifetime (90s, 15m, 12h, 30d; default 30d)', lifetime)
    .option('--live', 'a live-mode token')
    .option('--json', 'print one JSON object and nothing else')
    .action(async (ref: string, opts: { dialect: AnyDialect; permissions?: string; ttl?: number; live?: boolean; json?: boolean }) => {
      const config = loadConfig(env);
      const permissions = opts.permissions
        ?.split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      // `--permissions ''` (an unset shell variable) would mint a token that may do nothing, and say nothing.
      if (permissions?.length === 0) {
        throw new InvalidArgumentError('--permissions names no permission: give patterns such as pay:customers:get, or leave it out');
      }
      const { found, token } = await withStore(env, async (store) => {
        const found = await findTenant(store, ref);
        const token = await mintToken(store, config, found, opts.dialect, {
          ...(permissions ? { permissions } : {}),
          ...(opts.ttl !== undefined ? { ttlSeconds: opts.ttl } : {}),
          livemode: opts.live === true,
        });
        return { found, token };
      });
      print(opts.json, { tenant: { id: found.id, name: found.name }, dialect: opts.dialect.name, token }, () => `${token}\n`);
    });
}
