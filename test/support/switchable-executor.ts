import type { SqlExecutor } from '../../src/store/executor.ts';

// A database that goes away under a running gateway and comes back, as a restarted PostgreSQL
// does (the operator's walk, 2026-12-07): while `down` is set every statement fails, and `failWhen`
// fails only the statements whose SQL it matches (a round's read of an event's history, say).

export interface Switchable {
  readonly executor: SqlExecutor;
  down(is: boolean): void;
  /** Fails each statement whose SQL matches, until set to undefined. */
  failWhen(match: ((sql: string) => boolean) | undefined): void;
}

export function switchable(executor: SqlExecutor): Switchable {
  let isDown = false;
  let match: ((sql: string) => boolean) | undefined;
  const gone = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  const fails = (query: { readonly sql: string }) => isDown || (match?.(query.sql) ?? false);
  const wrapped: SqlExecutor = {
    backend: executor.backend,
    all: (query) => (fails(query) ? gone() : executor.all(query)),
    ...(executor.allForWrite && { allForWrite: (query) => (fails(query) ? gone() : executor.allForWrite!(query)) }),
    ...(executor.allIndexOrdered && { allIndexOrdered: (query) => (fails(query) ? gone() : executor.allIndexOrdered!(query)) }),
    run: (query) => (fails(query) ? gone() : executor.run(query)),
    atomic: (steps) => (isDown ? gone() : executor.atomic(steps)),
    close: () => executor.close(),
    ...(executor.exclusive && { exclusive: executor.exclusive.bind(executor) }),
    ...(executor.readEpoch && { readEpoch: executor.readEpoch.bind(executor) }),
    ...(executor.checksInWrite && { checksInWrite: true }),
    ...(executor.attachWriter && { attachWriter: executor.attachWriter.bind(executor) }),
  };
  return {
    executor: wrapped,
    down: (is) => {
      isDown = is;
    },
    failWhen: (m) => {
      match = m;
    },
  };
}
