import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryBuilder } from './compiler.ts';
import { StaleWrite, UniqueViolation } from './executor.ts';
import { SqliteExecutor } from './sqlite.ts';

// Group commit: writes issued in the same event-loop turn share one transaction; each must come
// out exactly as if it had run alone, in order.

const db = queryBuilder('sqlite');
const tenant = (id: string) => db.insertInto('tenants').values({ id, name: id, created_at: 'now' }).compile();
const rename = (id: string, from: string, to: string) =>
  db.updateTable('tenants').set({ name: to }).where('id', '=', id).where('name', '=', from).compile();
const names = async (sqlite: SqliteExecutor) =>
  (await sqlite.all(db.selectFrom('tenants').select(['id', 'name']).orderBy('id').compile())).map((r) => `${r.id}:${r.name}`);

async function fresh(): Promise<SqliteExecutor> {
  const sqlite = new SqliteExecutor({ path: ':memory:' });
  await sqlite.migrate();
  return sqlite;
}

describe('SQLite group commit', () => {
  it('keeps the units that succeed when others in the same turn fail', async () => {
    const sqlite = await fresh();
    const outcomes = await Promise.allSettled([
      sqlite.atomic([{ query: tenant('a') }]),
      sqlite.atomic([{ query: tenant('b') }, { query: rename('b', 'nope', 'x'), mustChange: true }]),
      sqlite.atomic([{ query: tenant('a') }]),
      sqlite.atomic([{ query: tenant('c') }, { query: rename('c', 'c', 'c2'), mustChange: true }]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StaleWrite);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolation);
    // b's insert was undone with its failed step; a and c (with its rename) were kept.
    expect(await names(sqlite)).toEqual(['a:a', 'c:c2']);
    await sqlite.close();
  });

  it('runs units in the order they were issued: a compare-and-set sees the one before it', async () => {
    const sqlite = await fresh();
    await sqlite.run(tenant('a'));
    const [first, second] = await Promise.allSettled([
      sqlite.atomic([{ query: rename('a', 'a', 'first'), mustChange: true }]),
      sqlite.atomic([{ query: rename('a', 'a', 'second'), mustChange: true }]),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(await names(sqlite)).toEqual(['a:first']);
    await sqlite.close();
  });

  it('reports the rows each plain write changed', async () => {
    const sqlite = await fresh();
    const changed = await Promise.all([sqlite.run(tenant('a')), sqlite.run(rename('a', 'a', 'b')), sqlite.run(rename('a', 'zzz', 'c'))]);
    expect(changed).toEqual([1, 1, 0]);
    await sqlite.close();
  });

  it('writes what is queued before closing', async () => {
    const path = join(tmpdir(), `custgate-group-${process.pid}-${Date.now()}.db`);
    const sqlite = new SqliteExecutor({ path });
    await sqlite.migrate();
    const pending = sqlite.run(tenant('a'));
    await sqlite.close();
    await expect(pending).resolves.toBe(1);
    const again = new SqliteExecutor({ path });
    expect(await names(again)).toEqual(['a:a']);
    await again.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  });
});
