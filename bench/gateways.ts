import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newSecretsKey } from '../src/auth/crypto.ts';
import { type Child, installedBin, root, runToEnd, startChild } from './processes.ts';

// Real `custgate serve` processes and CLI runs for the book, backlog and webhook rows: each gateway
// on its own SQLite file, as a migrating team runs it.

export type Env = Readonly<Record<string, string | undefined>>;

/** What every bench gateway runs with: production mode, fresh secrets (nothing secret in the source). */
export function gatewayEnv(file: string, extra: Env = {}): Env {
  return {
    NODE_ENV: 'production',
    CUSTGATE_JWT_SECRET: randomBytes(32).toString('hex'),
    CUSTGATE_SECRETS_KEY: newSecretsKey(),
    DATABASE_URL: `file:${file}`,
    PORT: undefined,
    HOST: undefined,
    ...extra,
  };
}

/** How a bench process runs custgate: from this clone's sources through tsx, or as an installed package. */
export interface Install {
  readonly entry: string;
  /** node options that load the entry (tsx's loader for the sources). */
  readonly loader: readonly string[];
  readonly label: string;
}

export const fromSources: Install = { entry: 'bin/custgate.js', loader: ['--import', 'tsx'], label: 'from the sources through tsx' };

/** bin/custgate.js over the compiled dist/ in an installed package's layout under `dir` (build dist/ first). */
export function installed(dir: string): Install {
  return { entry: installedBin(dir), loader: [], label: 'as an installed package (bin/custgate.js over the compiled dist/, no tsx)' };
}

export interface Gateway {
  readonly child: Child;
  readonly url: string;
  stop(): Promise<void>;
}

export async function serve(env: Env, install: Install = fromSources): Promise<Gateway> {
  const child = await startChild([install.entry, 'serve', '--port', '0', '--host', '127.0.0.1', '--no-demo'], env, /listening on/, {
    timeoutMs: 120_000,
  });
  const port = Number(/:(\d+)/.exec(child.line)?.[1]);
  return { child, url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}

export interface CliRun {
  readonly stdout: string;
  readonly code: number | null;
  readonly ms: number;
  /** The process's peak resident memory in bytes (reported by bench/max-rss.ts on exit). */
  readonly maxRss: number | undefined;
}

/** `custgate <args>` to completion; a non-zero exit is returned, not thrown, when `allowFailure`. */
export async function cli(
  args: readonly string[],
  env: Env,
  options: { timeoutMs?: number; allowFailure?: boolean; install?: Install } = {},
): Promise<CliRun> {
  const started = performance.now();
  const { loader, entry } = options.install ?? fromSources;
  const argv = [...loader, '--import', join(root, 'bench', 'max-rss.mjs'), entry, ...args];
  const { out, err, code, signal } = await runToEnd(argv, env, options.timeoutMs ?? 30 * 60_000);
  if (code !== 0 && !(options.allowFailure && code !== null))
    throw new Error(`custgate ${args.join(' ')} failed (${signal ?? code})\n${err}`);
  const kib = /bench-max-rss (\d+)/.exec(err)?.[1];
  return { stdout: out.trim(), code, ms: performance.now() - started, maxRss: kib === undefined ? undefined : Number(kib) * 1024 };
}

/** `custgate <args> --json`, parsed. */
export async function cliJson<T>(args: readonly string[], env: Env, install: Install = fromSources): Promise<T> {
  return JSON.parse((await cli([...args, '--json'], env, { install })).stdout) as T;
}

/** `custgate upstream add` of a Wooshpay upstream for `tenant`, at `baseUrl`; its id. */
export async function addWooshpayUpstream(
  env: Env,
  tenant: string,
  baseUrl: string,
  mode: string,
  credentials: unknown,
  install: Install = fromSources,
): Promise<string> {
  const args = ['upstream', 'add', tenant, '--dialect', 'wooshpay', '--base-url', baseUrl, '--mode', mode];
  return (await cliJson<{ id: string }>([...args, '--credentials', JSON.stringify(credentials)], env, install)).id;
}

/**
 * Counts from a gateway's SQLite file, read by the bench on its own read-only connection (WAL: the
 * gateway's writes are not blocked) — progress is watched without requests that would be measured.
 */
export function watchFile(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return {
    count(sql: string, ...params: unknown[]): number {
      return Number(
        (db
          .prepare(sql)
          .pluck()
          .get(...params) as number | bigint | undefined) ?? 0,
      );
    },
    all<T>(sql: string, ...params: unknown[]): T[] {
      return db.prepare(sql).all(...params) as T[];
    },
    close: () => db.close(),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `done()` or the deadline; false when the deadline passed first. */
export async function until(done: () => boolean, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await sleep(everyMs);
  }
  return done();
}

export const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : (bytes / (1024 * 1024)).toFixed(0));

/** A section of RESULTS.md below the request table: its own columns, and the targets it checks. */
export interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
  readonly verdicts: readonly { readonly target: string; readonly value: string; readonly met: boolean }[];
}

export function sectionMarkdown(s: Section): string {
  const md = (cols: readonly string[]) => `| ${cols.join(' | ')} |`;
  return [
    `## ${s.title}`,
    '',
    ...s.notes.map((n) => `- ${n}`),
    '',
    md(s.header),
    md(s.header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...s.rows.map(md),
    '',
    ...s.verdicts.map((v) => `- [${v.met ? 'x' : ' '}] ${v.target}: ${v.value}${v.met ? '' : ' **NOT MET**'}`),
    '',
  ].join('\n');
}
