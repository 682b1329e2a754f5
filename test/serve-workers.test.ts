import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testEnv } from './support/gateway.ts';
import { cli } from './support/processes.ts';
import { testBackend } from './support/store.ts';

// `serve --workers N` on PostgreSQL is exercised by multi-process.test.ts; on SQLite it must refuse
// and say why rather than start processes that queue on one file lock. Backend-independent, so it
// runs in the sqlite project only.

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
