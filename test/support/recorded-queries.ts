import { CompiledQuery } from 'kysely';
import type { SqlExecutor } from '../../src/store/executor.ts';

// The scale tests' view of how a store ran its queries (test/outbox-scale.test.ts,
// test/webhooks-scale.test.ts): the last read and write it made, and the database's plan of them.

export interface Recorded {
  /** The store's executor, recording what passes through it to `inner`. */
  readonly executor: SqlExecutor;
  readonly last: () => CompiledQuery;
  readonly lastWrite: () => CompiledQuery;
  /** The last read again behind `prefix` (`explain …`), under the settings it ran with. */
  readonly explainLast: <R>(prefix: string) => Promise<R[]>;
}

export function recorded(inner: SqlExecutor): Recorded {
  let last: CompiledQuery | undefined;
  // How the last read ran: a plan is only asked for with the settings the read ran under.
  let lastRead: <R>(q: CompiledQuery<R>) => Promise<R[]> = (q) => inner.all(q);
  let lastWrite: CompiledQuery | undefined;
  const executor: SqlExecutor = {
    backend: inner.backend,
    all: async (q) => {
      last = q;
      lastRead = (e) => inner.all(e);
      return inner.all(q);
    },
    ...(inner.allIndexOrdered && {
      allIndexOrdered: async <R>(q: CompiledQuery<R>) => {
        last = q;
        lastRead = (e) => inner.allIndexOrdered!(e);
        return inner.allIndexOrdered!(q);
      },
    }),
    run: (q) => {
      lastWrite = q;
      return inner.run(q);
    },
    atomic: (steps) => {
      lastWrite = steps.at(-1)?.query;
      return inner.atomic(steps);
    },
    close: () => inner.close(),
  };
  const ran = (q: CompiledQuery | undefined) => {
    if (!q) throw new Error('no query ran');
    return q;
  };
  return {
    executor,
    last: () => ran(last),
    lastWrite: () => ran(lastWrite),
    explainLast: <R>(prefix: string) => {
      const q = ran(last);
      return lastRead(CompiledQuery.raw(`${prefix} ${q.sql}`, [...q.parameters]) as CompiledQuery<R>);
    },
  };
}

export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows PostgreSQL read to answer: those each node passed on plus those its filters threw away. */
export function rowsTouched(node: PlanNode): number {
  const removed = (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Join Filter'] ?? 0);
  const own = (node['Actual Rows'] + removed) * node['Actual Loops'];
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsTouched(child), 0);
}
