// `node bench/commit-latency.mjs [rate] [seconds] [rounds] [full,normal] [thread,inline]`: the writer thread alone
// (src/store/sqlite-writer.js, the one the server runs), fed `rate` updates a second, paced, with
// no HTTP and no server around it: each update replaces a 2 KB row of 1,000 and appends an event
// row, as a customer update does. For each checkpoint mode (CUSTGATE_SQLITE_CHECKPOINT: `thread`,
// the default, and `inline`, SQLite's automatic checkpoint inside a commit) and synchronous
// setting, alternately `rounds` times: the latency from when an update was due to its result, and
// the writer's own commit and checkpoint timings. The load of the machine moves these less than
// a whole server's p99 (docs/performance.md, "The update's tail").
// A mode may name the checkpoint thread's step in frames (`thread:250`) and another checkout's
// writer (`thread@/path/to/src/store`), for an A/B of two versions in one run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 8);
const rounds = Number(process.argv[4] ?? 2);
const settings = /** @type {('full' | 'normal')[]} */ ((process.argv[5] ?? 'full,normal').split(','));
const modes = (process.argv[6] ?? 'thread,inline').split(',');
const rows = 1000;
const data = 'x'.repeat(2048);
const dir = mkdtempSync(join(tmpdir(), 'custgate-commit-latency-'));
const pct = (/** @type {number[]} */ s, /** @type {number} */ p) => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0).toFixed(2);
const spread = (/** @type {number[]} */ ms) => {
  ms.sort((a, b) => a - b);
  return `p50 ${pct(ms, 0.5)} p90 ${pct(ms, 0.9)} p99 ${pct(ms, 0.99)} max ${(ms.at(-1) ?? 0).toFixed(2)} ms`;
};

/** @param {'full' | 'normal'} synchronous @param {string} mode @param {number} round */
async function run(synchronous, mode, round) {
  const [spec = 'thread', from] = mode.split('@');
  const [checkpoint = 'thread', frames] = spec.split(':');
  const path = join(dir, `${synchronous}-${mode.replace(/[^a-z0-9]/gi, '_')}-${round}.db`);
  const trace = `${path}.csv`;
  const setup = new Database(path);
  setup.pragma('journal_mode = WAL');
  setup.exec('create table c (id integer primary key, version integer not null, data text not null)');
  setup.exec('create table e (id integer primary key autoincrement, c integer not null, data text not null)');
  const insert = setup.prepare('insert into c (id, version, data) values (?, 0, ?)');
  setup.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(i, data);
  })();
  setup.close();
  const url = from ? new URL(`file://${from}/sqlite-writer.js`) : new URL('../src/store/sqlite-writer.js', import.meta.url);
  const workerData = { path, synchronous, busyTimeoutMs: 5000, checkpoint, trace, ...(frames ? { checkpointFrames: Number(frames) } : {}) };
  const worker = new Worker(url, { workerData });
  /** @type {Map<number, number>} */
  const due = new Map();
  const latencies = /** @type {number[]} */ ([]);
  worker.on('message', (/** @type {{ ids: number[] }} */ { ids }) => {
    const now = performance.now();
    for (const id of ids) latencies.push(now - (due.get(id) ?? now));
  });
  const total = rate * seconds;
  const started = performance.now();
  const startedMs = Date.now();
  for (let id = 0; id < total; id++) {
    const at = started + (id * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 1));
    while (performance.now() < at) await new Promise((resolve) => setImmediate(resolve));
    due.set(id, at);
    const c = id % rows;
    const steps = [
      { sql: 'update c set version = version + 1, data = ? where id = ?', params: [`${data}${id}`, c], mustChange: true },
      { sql: 'insert into e (c, data) values (?, ?)', params: [c, data.slice(0, 512)] },
    ];
    worker.postMessage({ ids: [id], units: [steps] });
  }
  while (latencies.length < total) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await worker.terminate();
  const commits = [];
  const checkpoints = [];
  const finishes = [];
  let wal = 0;
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const [kind, at, ms, detail] = line.split(',');
    if (Number(at) < startedMs) continue;
    if (kind === 'commit') {
      commits.push(Number(ms));
      wal = Math.max(wal, Number(detail?.split('/')[1] ?? 0));
    }
    if (kind === 'checkpoint') checkpoints.push(Number(ms));
    if (kind === 'finish') finishes.push(Number(ms));
  }
  const slow = latencies.filter((ms) => ms > 5).length;
  console.log(
    `sync=${synchronous.toUpperCase().padEnd(6)} ${mode.padEnd(10)} load ${loadavg()[0]?.toFixed(1)}: update ${spread(latencies)}, ${slow} over 5 ms; ${commits.length} commits ${spread(commits)}, ${commits.filter((ms) => ms > 5).length} over 5 ms; WAL up to ${(wal / 1048576).toFixed(1)} MB; ${checkpoints.length} checkpoints ${checkpoints.length ? spread(checkpoints) : ''}${finishes.length ? `; ${finishes.length} finished on the writer ${spread(finishes)}` : ''}`,
  );
}

try {
  console.log(`${rate} updates/s for ${seconds} s, ${rows} rows of 2 KB`);
  for (let round = 0; round < rounds; round++) {
    for (const synchronous of settings) {
      for (const mode of modes) await run(synchronous, mode, round);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
