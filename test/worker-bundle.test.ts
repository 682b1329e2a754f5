import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { wrangler } from './support/wrangler.ts';

// What `wrangler deploy` would upload, built without uploading: it must build from wrangler.toml,
// and nothing that only works on Node may end up in it.

const out = mkdtempSync(join(tmpdir(), 'custgate-dry-run-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/**
 * What only runs on Node, by bundle input path: the Node, cluster, CLI and test-harness entries,
 * the CLI commands, the SQLite store and its writer thread, the store opener that picks SQLite or
 * PostgreSQL from the environment, Swagger UI's files read from node_modules, and the packages
 * that need Node (native bindings, the Node HTTP server, the CLI parser, the TypeScript loader).
 */
const nodeOnly = new RegExp(
  [
    String.raw`^src/entries/(cli|cluster|node|testing)\.ts$`,
    String.raw`^src/cli/`,
    String.raw`^src/store/sqlite[^/]*\.(ts|js)$`,
    String.raw`^src/open-store\.ts$`,
    String.raw`^src/web/node-assets\.ts$`,
    String.raw`node_modules/(better-sqlite3|bindings|@hono/node-server|tsx|commander)/`,
  ].join('|'),
);

const pulledIn = (files: readonly string[]): string[] => files.filter((f) => nodeOnly.test(f));

it('the Node-only pattern names real files, and finds one pulled into a bundle', () => {
  for (const file of ['src/entries/node.ts', 'src/entries/cli.ts', 'src/cli/upstream.ts', 'src/store/sqlite.ts', 'src/open-store.ts']) {
    expect(existsSync(new URL(`../${file}`, import.meta.url)), file).toBe(true);
  }
  const bundle = ['src/entries/worker.ts', 'src/http/app.ts', 'src/store/d1.ts'];
  expect(pulledIn(bundle)).toEqual([]);
  expect(pulledIn([...bundle, 'src/cli/upstream.ts', 'node_modules/better-sqlite3/lib/index.js'])).toEqual([
    'src/cli/upstream.ts',
    'node_modules/better-sqlite3/lib/index.js',
  ]);
});

interface Metafile {
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
}

it('`wrangler deploy --dry-run` builds the worker, with no Node-only module in the bundle', async () => {
  const meta = join(out, 'meta.json');
  const run = await wrangler(['deploy', '--dry-run', '--outdir', out, '--metafile', meta]);
  expect(run.code, run.output).toBe(0);
  expect(run.output).toContain('env.DB (custgate)');

  const { inputs } = JSON.parse(readFileSync(meta, 'utf8')) as Metafile;
  const files = Object.keys(inputs);
  expect(files).toContain('src/entries/worker.ts');
  expect(pulledIn(files)).toEqual([]);
  const builtins = files.flatMap((f) =>
    inputs[f]!.imports.filter((i) => i.external && i.path !== '<runtime>').map((i) => `${f} -> ${i.path}`),
  );
  expect(builtins).toEqual([]);
}, 180_000);
