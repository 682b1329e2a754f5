// Loaded into a bench gateway (NODE_OPTIONS=--import) when BENCH_LOOP_DELAY_FILE is set: the main
// thread's event-loop delay (how late a 1 ms timer fires, so how long the longest synchronous
// stretches are) and its utilization, written to that file on each SIGUSR2 and then reset, so the
// bench reads the figures of one window. Unlike a latency percentile, they hardly move with the
// machine's load: they measure the gateway's own blocks (bench/backlog.ts). With
// BENCH_LOOP_PROFILE_DIR, each window is also a CPU profile there (window-<n>.cpuprofile; node
// refuses --cpu-prof in NODE_OPTIONS), whose samples show what the longest stretches ran.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

// The main thread's only: preloads run in worker threads too (the delivery thread, the SQLite writer's).
const file = isMainThread ? process.env.BENCH_LOOP_DELAY_FILE : undefined;
if (file) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let since = performance.eventLoopUtilization();
  let seq = 0;
  const ms = (ns) => ns / 1e6;
  const profiles = process.env.BENCH_LOOP_PROFILE_DIR;
  const session = profiles ? new Session() : undefined;
  if (session) {
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 200 });
    session.post('Profiler.start');
  }
  process.on('SIGUSR2', () => {
    const elu = performance.eventLoopUtilization(since);
    seq++;
    writeFileSync(
      file,
      JSON.stringify({
        seq,
        p50: ms(delay.percentile(50)),
        p90: ms(delay.percentile(90)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        utilization: elu.utilization,
      }),
    );
    delay.reset();
    since = performance.eventLoopUtilization();
    if (session) {
      const n = seq;
      session.post('Profiler.stop', (error, result) => {
        if (!error) writeFileSync(join(profiles, `window-${n}.cpuprofile`), JSON.stringify(result.profile));
        session.post('Profiler.start');
      });
    }
  });
}
