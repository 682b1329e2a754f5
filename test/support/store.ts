import { SqliteExecutor } from '../../src/store/sqlite.ts';
import { Store } from '../../src/store/index.ts';

/** A fresh, migrated store for one test file: in-memory SQLite. */
export async function testStore(): Promise<Store> {
  const executor = new SqliteExecutor({ path: ':memory:' });
  await executor.migrate();
  return new Store(executor);
}
