import { CheckFailed, type SqlExecutor, StaleWrite, type Step, UniqueViolation } from './executor.ts';

/**
 * The executor, with every failure that is not a conflict reported to `onError` (metrics):
 * unique violations and lost compare-and-sets are the store doing its job, not failing.
 */
export function observedExecutor(executor: SqlExecutor, onError: (error: unknown) => void): SqlExecutor {
  const watch = <T>(run: () => Promise<T>): Promise<T> =>
    run().catch((error: unknown) => {
      if (!(error instanceof UniqueViolation) && !(error instanceof StaleWrite) && !(error instanceof CheckFailed)) onError(error);
      throw error;
    });
  return {
    backend: executor.backend,
    all: (query) => watch(() => executor.all(query)),
    ...(executor.allForWrite && { allForWrite: (query) => watch(() => executor.allForWrite!(query)) }),
    ...(executor.allIndexOrdered && { allIndexOrdered: (query) => watch(() => executor.allIndexOrdered!(query)) }),
    run: (query) => watch(() => executor.run(query)),
    atomic: (steps: readonly Step[]) => watch(() => executor.atomic(steps)),
    close: () => executor.close(),
    // What the store asks of the executor it wraps: the row locks of PostgreSQL and the read epoch of SQLite.
    ...(executor.exclusive && { exclusive: executor.exclusive.bind(executor) }),
    ...(executor.readEpoch && { readEpoch: executor.readEpoch.bind(executor) }),
    ...(executor.checksInWrite && { checksInWrite: true }),
    ...(executor.attachWriter && { attachWriter: executor.attachWriter.bind(executor) }),
  };
}
