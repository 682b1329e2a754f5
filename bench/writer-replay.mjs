// `node bench/writer-replay.mjs <store.db> <capture.json> <warm-up updates> [measured updates]`: runs
// again what bench/writer-capture.ts recorded the writer thread being sent, on one connection
// opened as the writer thread opens its own (sqlite-apply.js), on a fresh copy of the same
// preloaded store (issue #30). The first <warm-up> updates fill the page cache; for the measured
// ones it prints, per update, the read system calls (/proc/thread-self/io) and the CPU time.
// Instructions: run it under `valgrind --tool=callgrind --toggle-collect=sqlite3_step` twice, with
// measured = 0 and measured = N, and divide the difference by N.
// CUSTGATE_SQLITE_CACHE_MB sizes the page cache as in the server (0: the driver's 16 MB);
// REPLAY_PRAGMAS="a=1;b=2" runs more pragmas on the connection, to try them.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createApplier, openConnection, setCacheMb, statementsOf } from '../src/store/sqlite-apply.js';

const [file, capture, warmText, measuredText] = process.argv.slice(2);
if (!file || !capture || !warmText) throw new Error('usage: writer-replay.mjs <store.db> <capture.json> <warm-up> [measured]');
/** @type {({ read: number, sql: string, params: unknown[] } | { ids: number[], units: import('../src/store/sqlite-apply.js').WireStep[][] })[]} */
const messages = JSON.parse(readFileSync(capture, 'utf8'));
const warm = Number(warmText);
const measured = measuredText === undefined ? Number.POSITIVE_INFINITY : Number(measuredText);
const db = openConnection(Database, file, 'full', 100);
setCacheMb(db, Number(process.env.CUSTGATE_SQLITE_CACHE_MB || 64));
for (const p of (process.env.REPLAY_PRAGMAS ?? '').split(';').filter(Boolean)) db.pragma(p);
const statement = statementsOf(db);
const apply = createApplier(db, statement);
const io = () => {
  const m = /syscr: (\d+)/.exec(readFileSync('/proc/thread-self/io', 'utf8'));
  return Number(m?.[1] ?? 0);
};
let updates = 0;
let start;
for (const message of messages) {
  if (updates >= warm && !start) {
    // Under callgrind with --instr-atstart=no: the measured part is instrumented alone, once
    // `callgrind_control -i on` has run and REPLAY_GO's file exists.
    if (process.env.REPLAY_GO) {
      process.stderr.write(`ready ${process.pid}\n`);
      while (!existsSync(process.env.REPLAY_GO)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
    start = { at: updates, reads: io(), cpu: process.cpuUsage() };
  }
  if (updates >= warm + measured) break;
  if ('read' in message) statement(message.sql).all(...message.params);
  else {
    const results = apply(message.units);
    for (const r of results) if ('error' in r) throw new Error(JSON.stringify(r.error));
    updates += message.units.length;
  }
}
const n = updates - (start?.at ?? 0);
if (start && n > 0) {
  // The two /proc reads themselves are two read system calls.
  const reads = io() - start.reads - 1;
  const cpu = process.cpuUsage(start.cpu);
  process.stderr.write(
    `${n} updates: ${(reads / n).toFixed(2)} read syscalls, ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU (${(cpu.user / n).toFixed(1)} user) per update; cache_size ${db.pragma('cache_size', { simple: true })}\n`,
  );
}
db.close();
