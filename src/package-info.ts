import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's own folder, found from this module whether it runs as src/*.ts (a clone) or as
// dist/src/*.js (an installed package): the nearest folder up with custgate's package.json.

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'custgate') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('custgate: cannot find its package.json');
    dir = parent;
  }
}

export const packageRoot = findRoot();

export const packageVersion = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
