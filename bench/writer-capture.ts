// `node --import tsx bench/writer-capture.ts <store.db> <credentials.json> <updates> <out.json> > /dev/null`:
// records what the SQLite writer thread is sent for <updates> Wooshpay updates (issue #30).
//
// The gateway is built as `npm start` builds it over a copy of a preloaded store (bench/preload.ts,
// BENCH_PRELOAD_DIR), and updates go through `app.request`, 16 at a time so that the group commit
// batches them as a loaded server does. Every message the main thread posts to the writer thread
// (a batch of units, or a read a write is planned from) is written to <out.json> in order, for
// bench/writer-replay.mjs to run again on another copy of the same store, alone, where its
// instructions and read system calls can be counted without the HTTP layer's noise.

import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { dialects } from '../dialects/index.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { inProcessGateway } from './in-process.ts';
import { updateWorkload } from './workloads.ts';

const [file, credentialsFile, countText, out] = process.argv.slice(2);
if (!file || !credentialsFile || !countText || !out)
  throw new Error('usage: writer-capture.ts <store.db> <credentials.json> <updates> <out.json>');
const kept = JSON.parse(readFileSync(credentialsFile, 'utf8')) as {
  credentials: Record<string, IssuedCredentials>;
  count: number;
  jwtSecret?: string;
};
const messages: unknown[] = [];
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: never[]) {
  if (message !== 'close') messages.push(message);
  return post.call(this, message, ...rest);
};

const env = { ...process.env, NODE_ENV: 'production', CUSTGATE_JWT_SECRET: kept.jwtSecret, DATABASE_URL: `file:${file}` };
const { app, store } = await inProcessGateway(env);
const work = updateWorkload(dialects.wooshpay, kept.credentials.wooshpay!, kept.count, 11);
const send = async () => {
  const { path, body } = work.next!();
  const res = await app.request(path, { method: work.method, headers: work.headers, body: body ?? null });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};
const total = Number(countText);
for (let sent = 0; sent < total; sent += 16) await Promise.all(Array.from({ length: Math.min(16, total - sent) }, send));
await store.executor.close();
writeFileSync(out, JSON.stringify(messages));
process.stderr.write(`${messages.length} messages for ${total} updates\n`);
