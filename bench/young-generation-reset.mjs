// `node bench/young-generation-reset.mjs [rounds]`: does a worker thread's own `resourceLimits`
// keep V8 from raising the process-wide `--semi-space-growth-factor` when the thread makes its
// heap (bin/heap.js)? In a fresh process each, alternately: no worker thread (the control), one
// without limits, one with `maxYoungGenerationSizeMb: 4`. The main thread sets the factor to 1, keeps objects alive across
// scavenges, starts a worker thread and goes on for 800 ms without setting the factor again. Its
// new space growing past where it was says the factor was reset. Also prints what
// `worker.resourceLimits` reads right after `new Worker`: the signal bin/heap.js sleeps on.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';

const newSpaceMb = () => (v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 1048576;
const kept = [];
const churn = (turns) => {
  for (let t = 0; t < turns; t++) {
    for (let i = 0; i < 2000; i++) {
      kept.push({ i, text: `x${i}`, pair: [i, i + 1] });
      if (kept.length > 20000) kept.splice(0, 10000);
    }
  }
};

/** @param {'none' | 'plain' | 'limited'} kind */
async function oneCase(kind) {
  const limited = kind === 'limited';
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  churn(300);
  const before = newSpaceMb();
  const limits = limited ? { resourceLimits: { maxYoungGenerationSizeMb: 4 } } : {};
  const worker = kind === 'none' ? undefined : new Worker('setTimeout(() => {}, 2000)', { eval: true, ...limits });
  const signal = worker?.resourceLimits?.maxYoungGenerationSizeMb;
  let largest = 0;
  const since = performance.now();
  while (performance.now() - since < 800) {
    churn(5);
    largest = Math.max(largest, newSpaceMb());
  }
  await worker?.terminate();
  const name = { none: 'no worker thread   ', plain: 'worker, no limits  ', limited: 'worker limits 4 MB ' }[kind];
  console.log(`${name}: main new space ${before} → ${largest} MB; worker.resourceLimits at once: ${signal}`);
}

if (process.argv[2] === '--case') await oneCase(/** @type {'none' | 'plain' | 'limited'} */ (process.argv[3]));
else {
  const rounds = Number(process.argv[2] ?? 2);
  console.log(`load average ${loadavg()[0].toFixed(1)}`);
  for (let round = 0; round < rounds; round++) {
    for (const kind of ['none', 'plain', 'limited']) {
      process.stdout.write(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--case', kind]));
    }
  }
}
