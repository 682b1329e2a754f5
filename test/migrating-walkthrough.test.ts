import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackend } from './support/store.ts';

// docs/migrating.md's whole-book walk-through (import, mirror + backfill, shadow, reconcile,
// promote), run as a reader pastes it from a checkout: its block, as it stands, in bash, with
// nothing of custgate on PATH and the Quick-start's port 8787 held by another server. It starts
// its own two gateways (SQLite files in a fresh folder), so the store under test does not matter:
// it runs once, in the sqlite project. CUSTGATE_WALKTHROUGH_RUNS=2 runs it twice in a row (the
// second run must not trip over the first's tenants or ports).

const root = fileURLToPath(new URL('..', import.meta.url));
const marker = '<!-- not-run: starts two gateways of its own; test/migrating-walkthrough.test.ts runs it -->';
const runs = Number(process.env.CUSTGATE_WALKTHROUGH_RUNS ?? 1);

function walkThrough(): string {
  const page = readFileSync(join(root, 'docs/migrating.md'), 'utf8');
  const at = page.indexOf(marker);
  expect(at, 'docs/migrating.md has the walk-through block').toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)\n```/.exec(page.slice(at + marker.length));
  expect(block).not.toBeNull();
  return block![1]!;
}

describe.skipIf(testBackend() !== 'sqlite')('docs/migrating.md: moving a whole book', () => {
  let quickStart: Server | undefined;

  beforeAll(async () => {
    // What a Quick-start gateway answers a key it does not know; if 8787 is taken already, so much the better.
    const server = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } }));
    });
    quickStart = await new Promise<Server | undefined>((resolve) => {
      server.once('error', () => resolve(undefined));
      server.listen(8787, '127.0.0.1', () => resolve(server));
    });
  });
  afterAll(() => new Promise<void>((resolve) => (quickStart ? quickStart.close(() => resolve()) : resolve())));

  it(
    'runs as pasted, from a populated old provider to the new one promoted',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'custgate-walkthrough-'));
      const script = join(home, 'walk.sh');
      writeFileSync(script, `set -eo pipefail\n${walkThrough()}\n`);
      // A reader's environment: no DATABASE_URL, no NODE_ENV, and no custgate on PATH.
      const env = { PATH: process.env.PATH ?? '', HOME: home, npm_config_update_notifier: 'false' };
      for (let run = 0; run < runs; run++) {
        const done = await promisify(execFile)('bash', [script], {
          cwd: root,
          env,
          maxBuffer: 16 * 1024 * 1024,
          timeout: 8 * 60_000,
        }).catch((error: { code: number; stdout: string; stderr: string }) => {
          throw new Error(
            `the walk-through failed (exit ${error.code})\nstdout: ${error.stdout.slice(-1500)}\nstderr: ${error.stderr.slice(-1500)}`,
          );
        });
        const out = done.stdout;
        expect(out).toMatch(/"state":"done","pages":1,"seen":25,"imported":25/);
        expect(out).toMatch(/queued 25 creates for upstream ups_/);
        expect(out).toMatch(/"mismatched":0/);
        expect(out).toMatch(/no differences: 26 local customers, 26 at upstream ups_\w+, 26 linked/);
        expect(out).toMatch(/demoted ups_\w+ {2}wooshpay {2}mirror/);
        expect(out).toMatch(/promoted ups_\w+ {2}zenskar {2}proxy/);
        expect(out).toMatch(/reconciled {2}shadow\n.*promoted {2}shadow -> proxy/);
        // The last write went to the new provider first: it holds the change.
        const last = JSON.parse(out.trim().split('\n').at(-1)!) as { customer_name: string; email: string; custom_data: unknown };
        expect(last).toMatchObject({ customer_name: 'Jenny Rosen', email: 'jenny@example.com', custom_data: { plan: 'gold' } });
      }
    },
    10 * 60_000,
  );
});
