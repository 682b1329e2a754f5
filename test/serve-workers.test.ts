import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testEnv } from './support/gateway.ts';
import { cli, freePort, spawnCli } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// `serve --workers N` on PostgreSQL is exercised by multi-process.test.ts; on SQLite it must refuse
// and say why rather than start processes that queue on one file lock (backend-independent, so in
// the sqlite project only). On PostgreSQL its banner and the demo tenant's curl lines name the
// address it listens on.

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe.skipIf(testBackend() !== 'sqlite')('custgate serve --workers', () => {
  it('refuses several workers on SQLite, explaining why', async () => {
    const env = { PATH: process.env.PATH ?? '', ...testEnv, DATABASE_URL: 'file::memory:' };
    const failed = await run(process.execPath, [cli, 'serve', '--workers', '2', '-p', '0'], { cwd: root, env }).catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('--workers needs PostgreSQL') });
  }, 60_000);
});

describe.skipIf(testBackend() !== 'postgres')('custgate serve --workers on PostgreSQL', () => {
  it('names the address it listens on (--host) in its banner and the demo curl lines; before, localhost whatever --host said', async () => {
    const port = await freePort();
    const run = spawnCli(['serve', '--workers', '2', '-H', '127.0.0.1', '-p', String(port)], { ...testEnv, ...testDatabaseEnv() });
    let stderr = '';
    try {
      await new Promise<void>((resolve, reject) => {
        run.child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if ((stderr.match(/listening on/g) ?? []).length >= 2) resolve();
        });
        run.child.once('exit', (code) => reject(new Error(`serve exited (${code}) before its workers listened:\n${stderr}`)));
      });
    } finally {
      run.child.kill('SIGTERM');
      await run.exit;
    }
    expect(stderr).toContain(`custgate: starting 2 workers on http://127.0.0.1:${port} (postgres)`);
    expect(stderr).toContain(`curl -s http://127.0.0.1:${port}/`);
    expect(stderr).not.toContain('localhost');
  }, 90_000);
});
