import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, registry } from '../dialects/index.ts';
import { dialectCalls, type Json } from './support/dialect-calls.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';
import { freePort } from './support/processes.ts';
import { type Hints, hintsOf, schemaArbitrary } from './support/schema-arbitrary.ts';
import { judgeDocument } from './support/seed-openapi.ts';
import { testBackend } from './support/store.ts';

// The judge (docs/seams.md, rule 5): Prism, serving each provider's own document with request
// validation (`prism mock <doc> --errors`), decides which generated update bodies the provider
// allows; custgate must take every one of them (200) through that dialect. Bodies come from the
// document's own request schema (test/support/schema-arbitrary.ts). On SQLite only: the answer
// depends on request schemas, not on the store. CUSTGATE_JUDGE_RUNS sets the bodies per dialect.

const runs = Number(process.env.CUSTGATE_JUDGE_RUNS ?? 30);

// What each document's descriptions state beyond its types, and what the provider underneath
// refuses, is each dialect's own `judge` fixture (docs/seams.md lists the provider limits custgate
// keeps). Only the dialects that declare one have a provider document to be judged against.
const judges = Object.fromEntries(
  Object.entries(registry).flatMap(([name, entry]) => (entry.fixtures.judge ? [[name, hintsOf(entry.fixtures.judge)]] : [])),
) as Partial<Record<DialectName, Hints>>;

interface Prism {
  readonly url: string;
  readonly child: ChildProcess;
}

async function startPrism(file: string): Promise<Prism> {
  const port = await freePort();
  const child = spawn('node_modules/.bin/prism', ['mock', file, '--errors', '-h', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Prism did not start within 60 s')), 60_000);
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Prism exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

function updateOperation(doc: Json): { path: string; method: string; schema: Json } {
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of ['patch', 'put', 'post']) {
      const op = (item as Json)[method];
      if (op && path.includes('{')) return { path, method, schema: op.requestBody.content['application/json'].schema };
    }
  }
  throw new Error('no update operation');
}

const dir = mkdtempSync(join(tmpdir(), 'custgate-judge-'));
let gw: TestGateway;
const { create, write } = dialectCalls(() => gw);
beforeAll(async () => {
  gw = await testGateway();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const names = Object.keys(judges) as DialectName[];
/** Each document with its security left out (bodies are judged, not credentials), and its update. */
const judged = Object.fromEntries(
  names.map((name) => {
    const doc = judgeDocument(name) as unknown as Json;
    delete doc.security;
    for (const item of Object.values(doc.paths as Json)) for (const op of Object.values(item as Json)) delete (op as Json).security;
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(doc));
    return [name, { doc, file, update: updateOperation(doc) }];
  }),
) as Record<DialectName, { doc: Json; file: string; update: ReturnType<typeof updateOperation> }>;

describe.skipIf(testBackend() !== 'sqlite')('the judge: custgate takes every body a seed allows', () => {
  const prisms = new Map<DialectName, Prism>();
  // Started together: each takes seconds to read its document.
  beforeAll(async () => {
    const started = await Promise.all(names.map((name) => startPrism(judged[name].file)));
    for (const [i, name] of names.entries()) prisms.set(name, started[i]!);
  }, 90_000);
  afterAll(() => {
    for (const prism of prisms.values()) prism.child.kill();
  });

  it.each(names)(
    '%s: no body the document allows is refused',
    async (name) => {
      const { doc, update } = judged[name];
      const prism = prisms.get(name)!;
      const customer = await create('wooshpay', { name: 'Judge' });
      const bodies = fc.sample(schemaArbitrary(update.schema, doc, judges[name]!), { numRuns: runs, seed: 31 });
      const refused: string[] = [];
      let allowed = 0;
      for (const body of bodies) {
        const verdict = await fetch(`${prism.url}${update.path.replace(/\{[^}]+\}/, '1')}`, {
          method: update.method.toUpperCase(),
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
        });
        await verdict.body?.cancel();
        if (verdict.status >= 400) continue;
        allowed++;
        const res = await write(name, customer, body);
        if (res.status !== 200) refused.push(`${res.status} ${await res.text()} <- ${JSON.stringify(body).slice(0, 400)}`);
      }
      expect(refused, `${name}: bodies the document allows that custgate refused`).toEqual([]);
      // The corpus is not vacuous: most generated bodies are ones the document allows.
      expect(allowed).toBeGreaterThan(runs / 2);
    },
    120_000,
  );
});
