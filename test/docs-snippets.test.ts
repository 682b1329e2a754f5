import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type GatewayProcess, startAsNpmStart } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// Every ```sh block in README.md and docs/ runs as pasted against a live server, after
// `eval "$(npx custgate tenant create <page's own name> --env)"` (tenant names are unique in a
// database, and every page runs against the same one), the blocks of one page in order in one shell
// (as a reader pastes them). curl fails on any HTTP error (~/.curlrc: fail-with-body) and the shell
// on any failing command. A block right after `<!-- not-run: reason -->` is skipped: those start
// servers, need PostgreSQL or a second gateway, or a Cloudflare account.

const root = fileURLToPath(new URL('..', import.meta.url));
const minutes = 60_000;

interface Block {
  readonly line: number;
  readonly code: string;
}

function pages(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? docs(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return ['README.md', ...docs('docs')];
}

function shellBlocks(markdown: string): { run: Block[]; skipped: number } {
  const lines = markdown.split('\n');
  const run: Block[] = [];
  let skipped = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```(sh|bash|shell)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.replace(/^ {0,3}/, ''));
    let previous = start - 1;
    while (previous >= 0 && lines[previous]!.trim() === '') previous--;
    if (previous >= 0 && /^\s*<!-- not-run: .+-->\s*$/.test(lines[previous]!)) skipped++;
    else run.push({ line: start + 1, code: body.join('\n') });
  }
  return { run, skipped };
}

describe.skipIf(testBackend() !== 'sqlite')('documentation snippets run as pasted', () => {
  let gateway: GatewayProcess;
  const database = testDatabaseEnv();
  const port = () => new URL(gateway.base).port;
  const home = mkdtempSync(join(tmpdir(), 'custgate-snippets-'));

  beforeAll(async () => {
    // As the Quick start says: `npm start`, nothing set but where its database is (a reader's is
    // ./data/), so a step that needs a setting the docs do not give fails here as it would there.
    gateway = await startAsNpmStart(database);
    writeFileSync(join(home, '.curlrc'), 'fail-with-body\n');
    // `npx custgate` in the reader's project resolves to the package's bin, as here.
    mkdirSync(join(home, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(cli, join(home, 'node_modules', '.bin', 'custgate'));
  }, 2 * minutes);
  afterAll(() => gateway?.stop());

  it('skips only a few blocks, each with its reason', () => {
    const skipped = pages().reduce((n, page) => n + shellBlocks(readFileSync(join(root, page), 'utf8')).skipped, 0);
    const run = pages().reduce((n, page) => n + shellBlocks(readFileSync(join(root, page), 'utf8')).run.length, 0);
    expect(run).toBeGreaterThan(skipped);
  });

  it.each(pages().filter((page) => shellBlocks(readFileSync(join(root, page), 'utf8')).run.length > 0))(
    '%s',
    async (page) => {
      const tenant = `page-${relative(root, join(root, page)).replace(/[^a-z0-9]+/gi, '-')}`;
      const { run } = shellBlocks(readFileSync(join(root, page), 'utf8'));
      const workdir = mkdtempSync(join(home, 'page-'));
      symlinkSync(join(home, 'node_modules'), join(workdir, 'node_modules'));
      const script = [
        'set -eo pipefail',
        `eval "$(npx --offline custgate tenant create ${tenant} --env)"`,
        ...run.map((b) => `echo "--- ${relative(root, join(root, page))}:${b.line}" >&2\n${b.code}\necho >&2`),
      ].join('\n');
      // A reader's shell: none of the tests' settings (NODE_ENV=test, a probe token).
      const env = { PATH: process.env.PATH ?? '', HOME: home, PORT: port(), ...database, npm_config_update_notifier: 'false' };
      try {
        await promisify(execFile)('bash', ['-c', script], { cwd: workdir, env, maxBuffer: 16 * 1024 * 1024, timeout: 8 * minutes });
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        const last = e.stderr.split('\n--- ').at(-1);
        throw new Error(`a snippet failed (exit ${e.code}) in block ${last}\nstdout (end): ${e.stdout.slice(-600)}`);
      }
    },
    10 * minutes,
  );
});
