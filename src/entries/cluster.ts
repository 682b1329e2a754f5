import cluster from 'node:cluster';

// `custgate serve --workers N`: one primary that forks N identical gateway processes sharing the
// listening port (node:cluster hands connections out). They share nothing in memory: every
// correctness guarantee (compare-and-set, idempotency keys) lives in PostgreSQL.

export const isClusterWorker = (): boolean => cluster.isWorker;

export interface PrimaryOptions {
  readonly workers: number;
  readonly log: (line: string) => void;
}

/** Forks the workers and replaces one that dies unexpectedly; SIGINT/SIGTERM stop them all. */
export function runPrimary(options: PrimaryOptions): void {
  let stopping = false;
  const started = Date.now();
  for (let i = 0; i < options.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    options.log(`custgate: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    // A worker that dies straight after start (bad config, database down) would loop: give up.
    if (Date.now() - started < 5_000) {
      options.log('custgate: workers fail at start; stopping');
      process.exitCode = 1;
      stop();
      return;
    }
    cluster.fork();
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(process.exitCode ?? 0);
    for (const worker of workers) worker?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
