// `node bench/fsync-latency.mjs [file] [count] [frames]`: this machine's sync latency, the floor
// under a synchronous=FULL commit (docs/performance.md), for each way a commit can meet the disk:
// `count` commits of `frames` WAL frames (4,096-byte page + 24-byte frame header, as SQLite's WAL
// writes them: https://sqlite.org/fileformat2.html#walformat), each followed by fdatasync or fsync,
//   - append: the file grows with every commit (a WAL that is never reset, or one growing past its
//     old size: the file system must also commit the new size);
//   - overwrite: the same offsets of a file already that long (a WAL reset after a checkpoint and
//     written again from the start: only data blocks change).
// Percentiles are of the sync call alone. Run it on the disk the database is on, alone and under load.
// A fourth argument `pattern:sync` (e.g. `overwrite:fdatasync`, the server's) measures that one only.
import { closeSync, fdatasyncSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';

const file = process.argv[2] ?? 'fsync-latency.bin';
const count = Number(process.argv[3] ?? 2000);
const frames = Number(process.argv[4] ?? 1);
const only = process.argv[5];
const commit = Buffer.alloc(frames * (4096 + 24), 7);

/** @param {'append' | 'overwrite'} pattern @param {(fd: number) => void} sync */
function run(pattern, sync) {
  const ms = [];
  const fd = openSync(file, 'w');
  try {
    if (pattern === 'overwrite') {
      for (let i = 0; i < count; i++) writeSync(fd, commit);
      fsyncSync(fd);
    }
    for (let i = 0; i < count; i++) {
      writeSync(fd, commit, 0, commit.length, i * commit.length);
      const started = process.hrtime.bigint();
      sync(fd);
      ms.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  ms.sort((a, b) => a - b);
  return ms;
}

const at = (/** @type {number[]} */ ms, /** @type {number} */ p) =>
  (ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0).toFixed(2);
console.log(`${count} commits of ${frames} WAL frame(s) (${commit.length} bytes) each:`);
for (const pattern of /** @type {const} */ (['append', 'overwrite'])) {
  for (const [name, sync] of /** @type {const} */ ([
    ['fdatasync', fdatasyncSync],
    ['fsync', fsyncSync],
  ])) {
    if (only && only !== `${pattern}:${name}`) continue;
    const ms = run(pattern, sync);
    console.log(
      `  ${pattern.padEnd(9)} ${name.padEnd(9)} p50 ${at(ms, 0.5)} ms, p90 ${at(ms, 0.9)}, p99 ${at(ms, 0.99)}, p99.9 ${at(ms, 0.999)}, max ${(ms.at(-1) ?? 0).toFixed(2)}`,
    );
  }
}
