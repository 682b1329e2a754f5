import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The fixture files a test hands to `custgate fixtures load`, `reset --fixtures`, `serve --fixtures`.

let dir: string | undefined;

/** Writes `text` to `name` in a temporary folder of this test file's (made on first use): its path. */
export function fixtureFile(name: string, text: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'custgate-fixtures-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
