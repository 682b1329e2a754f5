import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from './support/gateway.ts';
import { failingCli, runCli } from './support/processes.ts';
import { testBackend } from './support/store.ts';

// A command run beside a serving gateway on one SQLite file meets the write lock the server holds
// during its commits; it must wait for it, not fail with "store busy" at the server's 100 ms bound.
// The lock is SQLite's, so this runs on SQLite only.
describe.skipIf(testBackend() !== 'sqlite')('commands beside a gateway holding the SQLite write lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custgate-busy-'));
  const env = { ...testEnv, DATABASE_URL: join(dir, 'custgate.db') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Takes the write lock as another process's transaction would; the result releases it. */
  function holdWriteLock(): () => void {
    const db = new Database(env.DATABASE_URL);
    db.exec('BEGIN IMMEDIATE');
    return () => {
      if (!db.open) return;
      db.exec('COMMIT');
      db.close();
    };
  }

  it('a write command waits for the lock and succeeds', async () => {
    await runCli(['tenant', 'create', 'first'], env);
    // Held for longer than the command takes to start here, and well inside the commands' 10 s.
    const release = holdWriteLock();
    const timer = setTimeout(release, 7_000);
    const out = await runCli(['tenant', 'create', 'second', '--json'], env).finally(() => {
      clearTimeout(timer);
      release();
    });
    expect(out).toContain('second');
    expect(await runCli(['tenant', 'list', '--json'], env)).toContain('second');
  });

  it('the bound is still the operator’s to set: a short one fails clearly, with nothing written', async () => {
    const release = holdWriteLock();
    const failed = await failingCli(['tenant', 'create', 'third'], { ...env, CUSTGATE_SQLITE_BUSY_TIMEOUT_MS: '50' }).finally(release);
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('store busy');
    expect(await runCli(['tenant', 'list', '--json'], env)).not.toContain('third');
  });
});
