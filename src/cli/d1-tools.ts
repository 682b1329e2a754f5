import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { GatewayConfig } from '../config.ts';
import { Store } from '../store/index.ts';
import { d1MigrationFiles, ScriptExecutor } from '../store/sql-script.ts';
import { type CreatedTenant, createTenant, type NewTenantOptions } from '../gateway/tenants.ts';
import { packageRoot } from '../package-info.ts';

// Node-side helpers for D1: the migrations folder wrangler applies, and tenants written through
// `wrangler d1 execute`. Never imported by worker.ts.

/** The repository's D1 migrations folder (wrangler.toml `migrations_dir`). */
export const migrationsDir = resolve(packageRoot, 'migrations');

export interface MigrationsReport {
  /** Files whose content differs from what src/store/migrations.ts compiles to (or are missing). */
  readonly stale: string[];
  /** .sql files in the folder that no migration produces. */
  readonly extra: string[];
}

/** Compares (and with write, rewrites) the D1 migrations folder against src/store/migrations.ts. */
export async function syncD1Migrations(options: { readonly dir?: string; readonly write: boolean }): Promise<MigrationsReport> {
  const dir = options.dir ?? migrationsDir;
  const files = await d1MigrationFiles();
  const present = new Set(readdirSafe(dir).filter((f) => f.endsWith('.sql')));
  const stale: string[] = [];
  for (const file of files) {
    present.delete(file.name);
    const path = join(dir, file.name);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === file.sql) continue;
    stale.push(file.name);
    if (options.write) writeFileSync(path, file.sql);
  }
  return { stale, extra: [...present].sort() };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The wrangler CLI from this package's own dependencies, so the pinned version is the one run. */
export function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js');
}

/** Environment for wrangler that keeps it from phoning home (metrics, cf fetch, update check). */
export function quietWranglerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_HIDE_BANNER: 'true',
  };
}

export interface D1Target {
  /** Database name or binding, as `wrangler d1 execute` takes it. */
  readonly database: string;
  readonly remote: boolean;
  /** Local persistence directory (wrangler's default is .wrangler/state). */
  readonly persistTo?: string | undefined;
  /** wrangler configuration file; wrangler's default is the one in the working directory. */
  readonly config?: string | undefined;
}

/** Runs wrangler to completion; resolves to its stdout, rejects with its whole output on failure. */
function wranglerOutput(args: readonly string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [wranglerBin(), ...args], { env: quietWranglerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code === 0) done(stdout);
      else fail(new Error(`wrangler ${args.slice(0, 2).join(' ')} failed (exit ${code}):\n${output.trim()}`));
    });
  });
}

function targetArgs(target: D1Target): string[] {
  const args = [target.remote ? '--remote' : '--local'];
  if (target.persistTo !== undefined) args.push('--persist-to', target.persistTo);
  if (target.config !== undefined) args.push('--config', target.config);
  return args;
}

/** Runs `wrangler d1 execute` on a SQL file. */
export async function executeD1File(target: D1Target, file: string): Promise<void> {
  await wranglerOutput(['d1', 'execute', target.database, '--file', file, '--yes', ...targetArgs(target)]);
}

/** Applies migrations/ to the D1 database (what `wrangler d1 migrations apply` does). */
export async function applyD1Migrations(target: D1Target): Promise<void> {
  await wranglerOutput(['d1', 'migrations', 'apply', target.database, ...targetArgs(target)]);
}

export async function countTenantsInD1(target: D1Target): Promise<number> {
  const sql = 'select count(*) as n from tenants';
  const out = await wranglerOutput(['d1', 'execute', target.database, '--command', sql, '--json', ...targetArgs(target)]);
  const parsed = JSON.parse(out) as { results: { n: number }[] }[];
  return Number(parsed[0]?.results[0]?.n ?? 0);
}

/** `wrangler dev` in the foreground (inheriting the terminal); resolves to its exit code. */
export function runWranglerDev(options: { readonly port: number; readonly persistTo?: string | undefined }): Promise<number> {
  const args = [wranglerBin(), 'dev', '--port', String(options.port), '--var', 'NODE_ENV:development'];
  if (options.persistTo !== undefined) args.push('--persist-to', options.persistTo);
  const child = spawn(process.execPath, args, { env: quietWranglerEnv(), stdio: 'inherit' });
  // Ctrl-C reaches wrangler through the terminal; a plain kill of this process is passed on.
  const forward = () => child.kill('SIGTERM');
  process.once('SIGTERM', forward);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      process.off('SIGTERM', forward);
      done(code ?? 1);
    });
  });
}

/**
 * Creates a tenant in a D1 database: the same rows createTenant writes, compiled to one SQL file
 * and run by one `wrangler d1 execute`, the tenant's signing key with them. Where the worker has
 * CUSTGATE_JWT_SECRET set, config must carry the same secret for the worker to accept its JWTs.
 */
export async function createTenantInD1(
  target: D1Target,
  config: GatewayConfig,
  name: string,
  options: NewTenantOptions,
): Promise<CreatedTenant> {
  const recorder = new ScriptExecutor();
  const created = await createTenant(new Store(recorder), config, name, options);
  const dir = mkdtempSync(join(tmpdir(), 'custgate-d1-'));
  try {
    const file = join(dir, 'tenant.sql');
    // The file holds only hashes of the secrets, never the secrets.
    writeFileSync(file, recorder.script(), { mode: 0o600 });
    await executeD1File(target, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return created;
}
