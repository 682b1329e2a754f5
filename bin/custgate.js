#!/usr/bin/env node
// An installed package runs the compiled JavaScript (dist/, built by `npm pack`); a clone, which
// has the TypeScript sources, runs them directly through tsx (a dev dependency), so there is no
// build step between a clone and a server.
import * as channels from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import * as perfHooks from 'node:perf_hooks';
import * as v8 from 'node:v8';
import { capYoungGeneration, heapGrowingFlag, youngGenerationCap } from './heap.js';

let young;
try {
  const argv = process.argv.slice(2);
  const flag = heapGrowingFlag(argv, process.env, process.execArgv);
  young = youngGenerationCap(argv, process.env, process.execArgv);
  if (flag) v8.setFlagsFromString(flag);
} catch (error) {
  process.stderr.write(`custgate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const cap = young ? capYoungGeneration(young, v8, perfHooks, channels) : undefined;

if (existsSync(new URL('../src/entries/cli.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  // tsx's loader runs in a thread of its own, whose heap V8 makes inside register() (it waits for
  // the thread), resetting the young generation's growth factor (bin/heap.js): set it again.
  cap?.steer();
  await import('../src/entries/cli.ts');
} else {
  await import('../dist/src/entries/cli.js');
}
