import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cacheDir, sourceHash } from './support/compiled-cli.ts';
import { cli } from './support/processes.ts';
import { testBackend } from './support/store.ts';

// The process tests run the CLI compiled once per run (test/global-setup.ts): it must be the
// package as it ships, built from the sources as they are now, never an earlier build.

const root = fileURLToPath(new URL('..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe.skipIf(testBackend() !== 'sqlite' || process.env.CUSTGATE_TEST_CLI === 'source')('the custgate the process tests start', () => {
  it('is the package compiled from the current sources: dist/ and no sources beside its bin', async () => {
    expect(cli).toBe(join(cacheDir, sourceHash(), 'bin', 'custgate.js'));
    const folder = dirname(dirname(cli));
    expect(existsSync(join(folder, 'dist', 'src', 'entries', 'cli.js'))).toBe(true);
    expect(existsSync(join(folder, 'src'))).toBe(false);
    const { stdout } = await promisify(execFile)(process.execPath, [cli, '--version']);
    expect(stdout.trim()).toBe(version);
  });

  it('is built anew when a source changes, and not when only its modification time does', () => {
    const copy = mkdtempSync(join(tmpdir(), 'custgate-compiled-cli-'));
    try {
      for (const part of ['src', 'dialects', 'schemas', 'bin', 'package.json', 'tsconfig.json', 'tsconfig.build.json'])
        cpSync(join(root, part), join(copy, part), { recursive: true });
      mkdirSync(join(copy, 'node_modules', 'typescript'), { recursive: true });
      copyFileSync(join(root, 'node_modules', 'typescript', 'package.json'), join(copy, 'node_modules', 'typescript', 'package.json'));
      const current = sourceHash(copy);
      expect(current).toBe(sourceHash());
      utimesSync(join(copy, 'src', 'config.ts'), new Date(0), new Date(0));
      expect(sourceHash(copy)).toBe(current);
      appendFileSync(join(copy, 'src', 'config.ts'), '\n');
      expect(sourceHash(copy)).not.toBe(current);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
