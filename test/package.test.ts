import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackend } from './support/store.ts';
import { freePort } from './support/processes.ts';

// The package as a user gets it: `npm pack` (which compiles to dist/), the tarball installed into
// an empty folder, and `custgate` run from there — compiled JavaScript, no tsx, no sources. It
// takes a minute or more, so this runs once, in the sqlite project.

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const minutes = 60_000;

/** README's "Use it in your tests" file for a runner (the `ts` block: vitest; the `js` block: jest), as printed there. */
function readmeTestFile(language: 'ts' | 'js'): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it in your tests'));
  const block = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(section)?.[1];
  if (!block) throw new Error(`README.md: no ${language} block under "Use it in your tests"`);
  return block;
}

describe.skipIf(testBackend() !== 'sqlite')('npm pack, install into an empty folder, run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custgate-package-'));
  const bin = join(dir, 'node_modules', '.bin', 'custgate');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, DATABASE_URL: `file:${join(dir, 'data', 'gw.db')}` };

  beforeAll(async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string }];
    // npm 11 runs a dependency's install script only when the project allows it: better-sqlite3
    // compiles there (README: Quick start says the same).
    writeFileSync(join(dir, 'package.json'), '{"name":"consumer","private":true,"allowScripts":{"better-sqlite3":true}}\n');
    const prebuilds = process.env.CUSTGATE_PACKAGE_COMPILE === '1' ? {} : await localPrebuild();
    const started = Date.now();
    // jest is the scratch project's own, as a team using it would have it (README's jest file).
    await run('npm', ['install', '--no-audit', '--no-fund', join(dir, filename), 'jest@29'], {
      cwd: dir,
      env: { ...process.env, ...prebuilds },
      maxBuffer: 64 * 1024 * 1024,
    });
    console.log(`npm install of the packed tarball: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 20 * minutes);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Online, better-sqlite3's install script downloads a prebuilt binary; offline, as here, it would
   * compile one, a few minutes of CPU that test nothing of custgate. This checkout's own binary,
   * packed as its prebuilt one in prebuild-install's local folder, stands in for the download (the
   * install script still runs). CUSTGATE_PACKAGE_COMPILE=1 compiles it, as an offline install does.
   */
  async function localPrebuild(): Promise<Record<string, string>> {
    const module = join(root, 'node_modules', 'better-sqlite3');
    const { version: sqliteVersion } = JSON.parse(readFileSync(join(module, 'package.json'), 'utf8')) as { version: string };
    const folder = join(dir, 'prebuilds');
    mkdirSync(folder);
    const name = `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    await run('tar', ['-czf', join(folder, name), '-C', module, 'build/Release/better_sqlite3.node']);
    return { npm_config_better_sqlite3_local_prebuilds: folder };
  }

  it('ships compiled JavaScript and no sources, tests or tsx', () => {
    const installed = join(dir, 'node_modules', 'custgate');
    expect(existsSync(join(installed, 'dist', 'src', 'entries', 'cli.js'))).toBe(true);
    expect(existsSync(join(installed, 'LICENSE'))).toBe(true);
    expect(existsSync(join(installed, 'CHANGELOG.md'))).toBe(true);
    for (const absent of ['src', 'test', 'bench', 'dist/src/contract/body.test.js'])
      expect(existsSync(join(installed, absent))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'tsx'))).toBe(false);
  });

  it(
    "custgate/testing from the installed package: README's vitest file passes in the scratch project's vitest run",
    async () => {
      // The project's own vitest, linked in as the scratch project's devDependency would be.
      symlinkSync(join(root, 'node_modules', 'vitest'), join(dir, 'node_modules', 'vitest'), 'dir');
      writeFileSync(join(dir, 'gateway.test.ts'), readmeTestFile('ts'));
      const { stdout } = await run(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir], {
        cwd: dir,
        env: { ...env, CI: '1', NO_COLOR: '1' },
      });
      expect(stdout).toMatch(/Tests\s+1 passed/);
    },
    2 * minutes,
  );

  it(
    "custgate/testing from the installed package: README's jest file passes in the scratch project's jest run",
    async () => {
      // `.jest.mjs`: an ES module, and a name the vitest run above does not pick up.
      writeFileSync(join(dir, 'gateway.jest.mjs'), readmeTestFile('js'));
      const { stdout, stderr } = await run(
        process.execPath,
        ['--experimental-vm-modules', join(dir, 'node_modules', '.bin', 'jest'), '--ci', '--testMatch', '**/*.jest.mjs'],
        { cwd: dir, env: { ...env, CI: '1', NO_COLOR: '1' } },
      );
      expect(`${stdout}${stderr}`).toMatch(/Tests:\s+1 passed, 1 total/);
    },
    2 * minutes,
  );

  it('custgate --version', async () => {
    expect((await run(bin, ['--version'], { env, cwd: dir })).stdout.trim()).toBe(version);
  });

  it('dev-worker from the package says it runs from a clone, with the steps, instead of failing on wrangler', async () => {
    const failed = await run(bin, ['dev-worker', '--no-demo'], { env, cwd: dir }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('from a clone of the repository');
    expect(failed?.stderr).toContain('npm run dev:worker');
    expect(failed?.stderr).not.toContain('wrangler/package.json');
  });

  it(
    "tenant create, then serve: the tenant's key works against the installed server",
    async () => {
      const created = JSON.parse((await run(bin, ['tenant', 'create', 'demo', '--json'], { env, cwd: dir })).stdout) as {
        credentials: { wooshpay: { secret_key: string } };
      };
      const port = await freePort();
      const server = spawn(bin, ['serve', '--no-demo', '-H', '127.0.0.1', '-p', String(port)], {
        env,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let out = '';
        server.stderr.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        await expect.poll(() => out, { timeout: 30_000 }).toContain('listening on');
        const base = `http://127.0.0.1:${port}`;
        expect((await fetch(`${base}/gateway/v1/ready`)).status).toBe(200);
        const res = await fetch(`${base}/v1/customers`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${created.credentials.wooshpay.secret_key}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'name=Installed',
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('request-id')).toMatch(/^req_/);
        expect(((await res.json()) as { name: string }).name).toBe('Installed');
      } finally {
        server.kill('SIGTERM');
      }
    },
    2 * minutes,
  );
});
