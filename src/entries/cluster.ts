import cluster from 'node:cluster';

// `custgate serve --workers N`: one primary that forks N identical gateway processes sharing the
// listening port (node:cluster hands connections out). They share nothing in memory: every
// correctness guarantee (compare-and-set, idempotency keys) lives in PostgreSQL.

export const isClusterWorker = (): boolean => cluster.isWorker;

export interface PrimaryOptions {
  readonly workers: number;
  readonly log: (line: string) => void;
}

/** The wait before replacing a worker that died before it listened: doubled per such death in a row, up to the last. */
export const refork = { firstMs: 1_000, maxMs: 30_000 } as const;

/**
 * Forks the workers and replaces one that dies unexpectedly; SIGINT/SIGTERM stop them all.
 *
 * A worker that served and died (killed, out of memory) is replaced at once. One that dies before
 * it listens is failing at start: the database is down, or a newer release migrated it (a rolling
 * upgrade). Replaced at once, it died again, and the primary forked without end, each start taking
 * a core for a second or more from the workers still serving; now it waits, 1 s, then 2, 4, … 30 s,
 * until a worker listens again. Before any worker listened, one that dies fails the whole start.
 */
export function runPrimary(options: PrimaryOptions): void {
  let stopping = false;
  let anyListened = false;
  const listened = new Set<number>();
  const pending = new Set<NodeJS.Timeout>();
  let failedStarts = 0;
  for (let i = 0; i < options.workers; i++) cluster.fork();
  cluster.on('listening', (worker) => {
    listened.add(worker.id);
    anyListened = true;
    failedStarts = 0;
  });
  cluster.on('exit', (worker, code, signal) => {
    const served = listened.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    const how = signal ?? code;
    // Before any worker listened the server has not started (a bad setting, the database down): it fails.
    if (!anyListened) {
      options.log(`custgate: worker ${worker.process.pid} exited (${how}) before any worker listened: workers fail at start; stopping`);
      process.exitCode = 1;
      stop();
      return;
    }
    if (served) {
      options.log(`custgate: worker ${worker.process.pid} exited (${how}); starting another`);
      cluster.fork();
      return;
    }
    const waitMs = Math.min(refork.maxMs, refork.firstMs * 2 ** failedStarts);
    failedStarts++;
    options.log(`custgate: worker ${worker.process.pid} exited (${how}) before it listened; starting another in ${waitMs / 1000} s`);
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!stopping) cluster.fork();
    }, waitMs);
    pending.add(timer);
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(process.exitCode ?? 0);
    for (const worker of workers) worker?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
