import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadEnv } from '../src/config.ts';
import { startNode } from '../src/entries/node.ts';
import { postgresOptions } from '../src/open-store.ts';
import { testEnv } from './support/gateway.ts';
import { cli } from './support/processes.ts';

const run = async (args: string[], env: Record<string, string>) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('configuration: one schema for every variable', () => {
  it('names the variable that is wrong, with what it got', () => {
    expect(() => loadConfig({ CUSTGATE_BODY_LIMIT_BYTES: 'abc' })).toThrow(
      new ConfigError('CUSTGATE_BODY_LIMIT_BYTES: must be a whole number, at least 1 (got "abc")'),
    );
    expect(() => loadEnv({ CUSTGATE_PG_POOL_SIZE: '-3' })).toThrow(/^CUSTGATE_PG_POOL_SIZE: /);
    expect(() => loadEnv({ PORT: '70000' })).toThrow(/^PORT: must be a whole number from 0 to 65535/);
    expect(() => loadEnv({ CUSTGATE_SQLITE_SYNCHRONOUS: 'off' })).toThrow(/^CUSTGATE_SQLITE_SYNCHRONOUS: must be full or normal/);
    expect(() => loadEnv({ CUSTGATE_LOG_LEVEL: 'loud' })).toThrow(/^CUSTGATE_LOG_LEVEL: /);
  });

  it('CUSTGATE_PG_POOL_SIZE=1 is refused, saying why; 2 is taken as given', () => {
    // Before: 1 was accepted and raised to 2 without a word (src/store/postgres.ts `migrate` needs two).
    expect(() => loadEnv({ CUSTGATE_PG_POOL_SIZE: '1' })).toThrow(
      new ConfigError(
        'CUSTGATE_PG_POOL_SIZE: must be a whole number from 2 to 1000: migrating at start holds one connection for its lock while the migrations run on another (got "1")',
      ),
    );
    expect(postgresOptions('postgres://h/db', loadEnv({ CUSTGATE_PG_POOL_SIZE: '2' })).poolSize).toBe(2);
  });

  it('never echoes a secret it refuses', () => {
    let message = '';
    try {
      loadEnv({ CUSTGATE_JWT_SECRET: 'short-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^CUSTGATE_JWT_SECRET: must be at least 32 characters$/);
  });

  it('takes defaults for unset and empty variables', () => {
    const env = loadEnv({ CUSTGATE_BODY_LIMIT_BYTES: '', PORT: '' });
    expect(env.CUSTGATE_BODY_LIMIT_BYTES).toBe(256 * 1024);
    expect(env.PORT).toBeUndefined();
    expect(env.DATABASE_URL).toEqual({ kind: 'sqlite', path: 'data/custgate.db' });
    expect(loadEnv({ CUSTGATE_KEY_CACHE_TTL_MS: '0' }).CUSTGATE_KEY_CACHE_TTL_MS).toBe(0);
  });

  it('DATABASE_URL: file:, a plain path, :memory:, postgres:// and postgresql:// only', () => {
    const target = (url: string) => loadEnv({ DATABASE_URL: url }).DATABASE_URL;
    expect(target('file:data/x.db')).toEqual({ kind: 'sqlite', path: 'data/x.db' });
    expect(target('file:///var/lib/x.db')).toEqual({ kind: 'sqlite', path: '/var/lib/x.db' });
    expect(target('./x.db')).toEqual({ kind: 'sqlite', path: './x.db' });
    expect(target(':memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(target('postgres://u:p@h/db')).toEqual({ kind: 'postgres', url: 'postgres://u:p@h/db' });
    expect(target('postgresql://h/db')).toEqual({ kind: 'postgres', url: 'postgresql://h/db' });
    for (const url of ['mysql://root:hunter2@db/app', 'postgress://u:hunter2@h/db', 'sqlite://x.db', 'https://example.com/db']) {
      let message = '';
      try {
        target(url);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^DATABASE_URL: ".+:" is not a supported database/);
      expect(message).not.toContain('hunter2');
    }
    expect(() => target('postgress://h/db')).toThrow(/did you mean postgres:\/\//);
  });
});

describe('configuration errors at start: one line, non-zero exit', () => {
  let busy: Server | undefined;
  afterAll(() => busy?.close());

  it('refuses mysql:// instead of creating a SQLite file named after it', async () => {
    const { code, stdout, stderr } = await run(['serve', '--no-demo', '-p', '0'], { DATABASE_URL: 'mysql://root:pw@localhost/app' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^custgate: DATABASE_URL: "mysql:" is not a supported database/)]);
  });

  /** A port something else listens on (one for the file's cases). */
  const busyPort = async (): Promise<number> => {
    if (!busy) {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      busy = server;
    }
    return (busy.address() as { port: number }).port;
  };

  it('a port in use', async () => {
    const port = await busyPort();
    const { code, stderr } = await run(['serve', '--no-demo', '-H', '127.0.0.1', '-p', String(port)], { DATABASE_URL: ':memory:' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `custgate: port ${port} on 127.0.0.1 is already in use (choose another with --port or PORT)`,
    ]);
  });

  it('a port in use leaves no demo tenant behind, whose credentials no one was shown', async () => {
    const port = await busyPort();
    const env = { DATABASE_URL: join(mkdtempSync(join(tmpdir(), 'custgate-busy-')), 'custgate.db') };
    const failed = await run(['serve', '-H', '127.0.0.1', '-p', String(port)], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(failed.stderr).not.toContain('demo');
    const tenants = await run(['tenant', 'list', '--json'], env);
    expect(tenants.code).toBe(0);
    // Before: [{"name":"demo", … 4 active credentials}] that no one was ever shown.
    expect(JSON.parse(tenants.stdout)).toEqual([]);
  });

  it('a CUSTGATE_SQLITE_CHECKPOINT_PAGES out of range', async () => {
    const { code, stdout, stderr } = await run(['serve', '--no-demo', '-p', '0'], {
      DATABASE_URL: ':memory:',
      CUSTGATE_SQLITE_CHECKPOINT_PAGES: '10',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      'custgate: CUSTGATE_SQLITE_CHECKPOINT_PAGES: must be a whole number from 100 to 16000 (got "10")',
    ]);
  });

  // Read by the HTTP server alone, they were checked only once the store was open and the demo
  // tenant made: the demo's credentials, printed after listening, were never shown, and the next
  // start made no demo. Node's own refusal of a headers timeout past the request's named neither.
  it.each([
    [{ CUSTGATE_HEADERS_TIMEOUT_MS: 'abc' }, 'custgate: CUSTGATE_HEADERS_TIMEOUT_MS: must be a whole number, at least 1 (got "abc")'],
    [{ CUSTGATE_MAX_CONNECTIONS: '0x10' }, 'custgate: CUSTGATE_MAX_CONNECTIONS: must be a whole number, at least 1 (got "0x10")'],
    [
      { CUSTGATE_HEADERS_TIMEOUT_MS: '10000', CUSTGATE_REQUEST_TIMEOUT_MS: '5000' },
      'custgate: CUSTGATE_HEADERS_TIMEOUT_MS: must be at most CUSTGATE_REQUEST_TIMEOUT_MS (10000 > 5000): the headers are part of the request',
    ],
  ])('the server limits %j: refused before the store is touched', async (limits, line) => {
    const DATABASE_URL = `file:${join(mkdtempSync(join(tmpdir(), 'custgate-limits-')), 'gateway.db')}`;
    const { code, stdout, stderr } = await run(['serve', '-p', '0'], { DATABASE_URL, ...limits });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([line]);
    // No demo tenant was made whose credentials nobody saw.
    expect(JSON.parse((await run(['tenant', 'list', '--json'], { DATABASE_URL })).stdout)).toEqual([]);
  });

  it('a CUSTGATE_REQUEST_TRACE file that cannot be opened: refused before the store is touched', async () => {
    // Before: the server started (demo tenant and all) and crashed at its first traced update.
    const home = mkdtempSync(join(tmpdir(), 'custgate-trace-'));
    const DATABASE_URL = `file:${join(home, 'gateway.db')}`;
    const trace = join(home, 'missing', 'trace.csv');
    const { code, stdout, stderr } = await run(['serve', '-p', '0'], { DATABASE_URL, CUSTGATE_REQUEST_TRACE: trace });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `custgate: CUSTGATE_REQUEST_TRACE: cannot append to the trace file (ENOENT: no such file or directory, open '${trace}')`,
    ]);
    expect(JSON.parse((await run(['tenant', 'list', '--json'], { DATABASE_URL })).stdout)).toEqual([]);
  });

  it("a request timeout under the headers timeout's default shortens that default: the server starts and answers", async () => {
    // Before: refused at start (10000 > 5000), for a default the operator never set.
    const env = { ...testEnv, DATABASE_URL: ':memory:', CUSTGATE_REQUEST_TIMEOUT_MS: '5000' };
    expect(loadEnv(env).CUSTGATE_HEADERS_TIMEOUT_MS).toBe(5000);
    const gateway = await startNode(env, { port: 0, hostname: '127.0.0.1' });
    try {
      expect((await fetch(`http://127.0.0.1:${gateway.port}/gateway/v1/health`)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('a malformed PORT', async () => {
    const { code, stderr } = await run(['serve', '--no-demo'], { DATABASE_URL: ':memory:', PORT: 'http' });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('custgate: PORT: must be a whole number from 0 to 65535 (got "http")');
  });
});
