// Loaded with `node --import` into a CLI process the bench runs: on exit it reports the process's
// peak resident memory (getrusage's ru_maxrss, in KiB), which /proc no longer shows once it exited.
// Plain JavaScript: a worker thread (the SQLite writer) inherits the flag but not tsx's loader.
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.on('exit', () => {
    writeSync(2, `\nbench-max-rss ${process.resourceUsage().maxRSS}\n`);
  });
}
