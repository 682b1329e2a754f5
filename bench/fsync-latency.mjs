// `node bench/fsync-latency.mjs [file] [count]`: this machine's fsync latency, the floor under a
// synchronous=FULL commit (docs/performance.md): `count` appends of 4 KiB to `file`, each followed
// by fdatasync, and the percentiles of the fdatasync alone. Run it on the disk the database is on.
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';

const file = process.argv[2] ?? 'fsync-latency.bin';
const count = Number(process.argv[3] ?? 2000);
const block = Buffer.alloc(4096, 7);
const ms = [];
const fd = openSync(file, 'w');
try {
  for (let i = 0; i < count; i++) {
    writeSync(fd, block);
    const started = process.hrtime.bigint();
    fdatasyncSync(fd);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
} finally {
  closeSync(fd);
  rmSync(file, { force: true });
}
ms.sort((a, b) => a - b);
const at = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(2);
console.log(
  `fdatasync of 4 KiB, ${count} times: p50 ${at(0.5)} ms, p90 ${at(0.9)}, p99 ${at(0.99)}, p99.9 ${at(0.999)}, max ${ms.at(-1).toFixed(2)}`,
);
