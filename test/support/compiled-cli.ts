import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The CLI as an installed package runs it: compiled by the package's own build (tsconfig.build.json)
// into a folder laid out like the package (bin/, dist/, migrations/, …), whose bin/custgate.js
// finds no sources beside it and imports dist/. A process started through tsx spends ~2.7 s of CPU
// compiling the sources it loads; the compiled one starts in a fraction of that (docs/internals.md,
// "Tests"). The folder is named by a hash of everything the build reads, so an edit to the sources
// gets a new build, and a build that is still current is reused across runs.

const root = fileURLToPath(new URL('../..', import.meta.url));
export const cacheDir = join(root, 'node_modules', '.cache', 'custgate-cli');

/** What the build reads: the compiled folders (less their tests), the launcher, the configs and the compiler. */
function inputs(checkout: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(checkout, dir), { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return walk(path);
      return e.name.endsWith('.test.ts') ? [] : [path];
    });
  return [
    ...['src', 'dialects', 'schemas'].flatMap(walk),
    'bin/custgate.js',
    'bin/heap.js',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'node_modules/typescript/package.json',
  ].sort();
}

/** Names a build: equal for equal inputs, whatever their files' times. */
export function sourceHash(checkout = root): string {
  const hash = createHash('sha256');
  for (const file of inputs(checkout))
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(checkout, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the compiled CLI for the current sources unless a build of them is already there, and
 * returns its bin/custgate.js. Type errors are `npm run typecheck`'s to report, so the build only emits.
 */
export async function compiledCli(): Promise<string> {
  const dir = join(cacheDir, sourceHash());
  const bin = join(dir, 'bin', 'custgate.js');
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(staging, 'dist'), '--noCheck'],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  );
  mkdirSync(join(staging, 'bin'));
  // Copied, not linked: the launcher decides between sources and dist/ by what lies beside its own path.
  for (const file of ['bin/custgate.js', 'bin/heap.js']) copyFileSync(join(root, file), join(staging, file));
  for (const shared of ['package.json', 'node_modules', 'migrations', 'wrangler.toml', 'docs', 'CHANGELOG.md'])
    symlinkSync(relative(staging, join(root, shared)), join(staging, shared));
  // Another run may have finished the same build meanwhile: either copy is the same.
  try {
    renameSync(staging, dir);
  } catch (error) {
    if (!existsSync(bin)) throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  prune(dir);
  return bin;
}

/** Builds of older sources, left a day, go; a run of the same checkout may still be using a recent one. */
function prune(current: string): void {
  const day = 24 * 60 * 60 * 1000;
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (path !== current && Date.now() - statSync(path).mtimeMs > day) rmSync(path, { recursive: true, force: true });
  }
}
