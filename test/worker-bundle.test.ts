import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { wrangler } from './support/wrangler.ts';

// What `wrangler deploy` would upload, built without uploading: it must build from wrangler.toml,
// and nothing that only works on Node may end up in it.

const out = mkdtempSync(join(tmpdir(), 'custgate-dry-run-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

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
  const nodeOnly =
    /node_modules\/(better-sqlite3|bindings|@hono\/node-server|tsx|commander)\/|src\/(node|cli|d1-tools)\.ts|src\/store\/sqlite\.ts/;
  expect(files.filter((f) => nodeOnly.test(f))).toEqual([]);
  const builtins = files.flatMap((f) =>
    inputs[f]!.imports.filter((i) => i.external && i.path !== '<runtime>').map((i) => `${f} -> ${i.path}`),
  );
  expect(builtins).toEqual([]);
}, 180_000);
