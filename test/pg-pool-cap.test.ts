import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/open-store.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// The delivery thread opens its store with a pool no larger than the dispatcher's concurrency
// (src/entries/delivery-thread-main.ts), never more than CUSTGATE_PG_POOL_SIZE: the connections an
// operator budgets against max_connections (docs/scaling.md). Counted as the distinct server
// processes that answer a burst of overlapping queries, more than either bound.

async function connectionsUsed(env: Record<string, string>, maxConnections?: number): Promise<number> {
  const store = await openStore(env, maxConnections === undefined ? {} : { maxConnections });
  try {
    const q = CompiledQuery.raw('select pg_backend_pid() as pid, pg_sleep(0.05)', []);
    const answers = await Promise.all(Array.from({ length: 24 }, () => store.executor.all<{ pid: number }>(q)));
    return new Set(answers.map(([row]) => row?.pid)).size;
  } finally {
    await store.executor.close();
  }
}

describe.skipIf(testBackend() !== 'postgres')("the delivery thread's PostgreSQL pool", () => {
  const env = testDatabaseEnv();

  it('holds at most the connections it is given, and never more than CUSTGATE_PG_POOL_SIZE', async () => {
    expect(await connectionsUsed({ ...env, CUSTGATE_PG_POOL_SIZE: '12' })).toBe(12);
    expect(await connectionsUsed({ ...env, CUSTGATE_PG_POOL_SIZE: '12' }, 8)).toBe(8);
    expect(await connectionsUsed({ ...env, CUSTGATE_PG_POOL_SIZE: '3' }, 8)).toBe(3);
    // Unset: the pool's own default of 10, still capped.
    expect(await connectionsUsed(env, 8)).toBe(8);
  });
});
