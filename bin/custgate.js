#!/usr/bin/env node
// An installed package runs the compiled JavaScript (dist/, built by `npm pack`); a clone, which
// has the TypeScript sources, runs them directly through tsx (a dev dependency), so there is no
// build step between a clone and a server.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { heapGrowingFlag } from './heap.js';

try {
  const flag = heapGrowingFlag(process.argv.slice(2), process.env, process.execArgv);
  if (flag) setFlagsFromString(flag);
} catch (error) {
  process.stderr.write(`custgate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

if (existsSync(new URL('../src/entries/cli.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/entries/cli.ts');
} else {
  await import('../dist/src/entries/cli.js');
}
