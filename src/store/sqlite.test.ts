import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryBuilder } from './compiler.ts';
import { sql } from 'kysely';
import { CheckFailed, StaleWrite, UniqueViolation } from './executor.ts';
import { SqliteExecutor } from './sqlite.ts';

// Group commit: writes issued in the same event-loop turn share one transaction; each must come
// out exactly as if it had run alone, in order.

const db = queryBuilder('sqlite');
const tenant = (id: string) => db.insertInto('tenants').values({ id, name: id, created_at: 'now' }).compile();
const rename = (id: string, from: string, to: string) =>
  db.updateTable('tenants').set({ name: to }).where('id', '=', id).where('name', '=', from).compile();
const names = async (sqlite: SqliteExecutor) =>
  (await sqlite.all(db.selectFrom('tenants').select(['id', 'name']).orderBy('id').compile())).map((r) => `${r.id}:${r.name}`);

const files: string[] = [];
afterAll(() => {
  for (const path of files) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
});

const tempPath = () => {
  const path = join(tmpdir(), `custgate-group-${process.pid}-${Date.now()}-${files.length}.db`);
  files.push(path);
  return path;
};

// Both write paths: the writer thread (a file) and the in-thread one (`:memory:`).
describe.each(['thread', 'inline'] as const)('SQLite group commit (%s writer)', (writer) => {
  async function fresh(): Promise<SqliteExecutor> {
    const sqlite = new SqliteExecutor({ path: writer === 'thread' ? tempPath() : ':memory:' });
    expect(sqlite.writerKind).toBe(writer);
    await sqlite.migrate();
    return sqlite;
  }

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
    const path = tempPath();
    const sqlite = new SqliteExecutor({ path, writer });
    await sqlite.migrate();
    const pending = sqlite.run(tenant('a'));
    await sqlite.close();
    await expect(pending).resolves.toBe(1);
    const again = new SqliteExecutor({ path });
    expect(await names(again)).toEqual(['a:a']);
    await again.close();
  });

  it('shows each acknowledged write to the next read, and keeps many concurrent units apart', async () => {
    const sqlite = await fresh();
    // More than one turn's worth: they reach the writer in several batches.
    const writes = Array.from({ length: 200 }, (_, i) =>
      sqlite.atomic([{ query: tenant(`t${i}`) }, ...(i % 10 === 3 ? [{ query: rename(`t${i}`, 'no', 'x'), mustChange: true }] : [])]).then(
        async () => (await names(sqlite)).includes(`t${i}:t${i}`),
        (error: unknown) => error,
      ),
    );
    const outcomes = await Promise.all(writes);
    for (const [i, o] of outcomes.entries()) {
      if (i % 10 === 3) expect(o).toBeInstanceOf(StaleWrite);
      else expect(o).toBe(true);
    }
    expect(await names(sqlite)).toHaveLength(180);
    await sqlite.close();
  });

  it("answers a write's read on the write connection with every acknowledged write, another connection's too", async () => {
    const sqlite = await fresh();
    const nameOf = async (id: string) =>
      (await sqlite.allForWrite(db.selectFrom('tenants').select('name').where('id', '=', id).compile()))[0]?.name;
    await sqlite.run(tenant('a'));
    // Each rename is read back for the next one as soon as it is acknowledged, while others queue.
    const chains = Array.from({ length: 20 }, async (_, i) => {
      await sqlite.run(tenant(`r${i}`));
      for (let step = 0; step < 5; step++) {
        const from = (await nameOf(`r${i}`)) ?? 'missing';
        expect(await sqlite.run(rename(`r${i}`, from, `r${i}-${step}`))).toBe(1);
      }
      return nameOf(`r${i}`);
    });
    expect(await Promise.all(chains)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}-4`));
    if (writer === 'thread') {
      const path = sqlite.db.name;
      const other = new SqliteExecutor({ path });
      await other.run(rename('a', 'a', 'by another connection'));
      expect(await nameOf('a')).toBe('by another connection');
      await other.close();
    }
    await sqlite.close();
  });

  it('undoes a unit whose check finds nothing at commit (CheckFailed), and keeps one whose check holds', async () => {
    const sqlite = await fresh();
    await sqlite.run(tenant('a'));
    const exists = (id: string) => sql`select 1 as found where exists (select 1 from tenants where id = ${id})`.compile(db);
    const outcomes = await Promise.allSettled([
      sqlite.atomic([{ query: tenant('b') }, { query: exists('nobody'), mustFind: true }]),
      sqlite.atomic([{ query: tenant('c') }, { query: exists('a'), mustFind: true }]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(CheckFailed);
    expect(await names(sqlite)).toEqual(['a:a', 'c:c']);
    await sqlite.close();
  });
});

// The delivery thread's store writes through a port to the serving thread's writer
// (src/entries/delivery-thread.ts): one writer per process, one lock holder, one group commit.
describe('SQLite writes through an attached port', () => {
  it("commits another executor's units on the owner's writer thread, each answered on its own port", async () => {
    const path = tempPath();
    const owner = new SqliteExecutor({ path });
    await owner.migrate();
    const port = owner.attachWriter();
    expect(port).toBeDefined();
    const guest = new SqliteExecutor({ path, writerPort: port! });
    expect(guest.writerKind).toBe('thread');
    const outcomes = await Promise.allSettled([
      owner.atomic([{ query: tenant('a') }]),
      guest.atomic([{ query: tenant('b') }]),
      guest.atomic([{ query: tenant('a') }]),
      owner.atomic([{ query: rename('a', 'a', 'a2'), mustChange: true }]),
      guest.atomic([{ query: tenant('c') }, { query: rename('c', 'nope', 'x'), mustChange: true }]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolation);
    expect((outcomes[4] as PromiseRejectedResult).reason).toBeInstanceOf(StaleWrite);
    // A write's read through the port sees the owner's acknowledged writes.
    const read = await guest.allForWrite(db.selectFrom('tenants').select('name').where('id', '=', 'a').compile());
    expect(read).toEqual([{ name: 'a2' }]);
    expect(await names(guest)).toEqual(['a:a2', 'b:b']);
    // The guest's close leaves the owner's writer running.
    await guest.close();
    await owner.run(tenant('d'));
    expect(await names(owner)).toEqual(['a:a2', 'b:b', 'd:d']);
    await owner.close();
  });

  it('gives no port for an inline writer', async () => {
    const inline = new SqliteExecutor({ path: ':memory:' });
    expect(inline.attachWriter()).toBeUndefined();
    await inline.close();
  });
});

describe('SQLite history retention', () => {
  it('purges old events through the created_at index, not a scan of the whole history', async () => {
    const sqlite = new SqliteExecutor({ path: ':memory:' });
    await sqlite.migrate();
    const purge = db.deleteFrom('customer_events').where('created_at', '<', '2026-01-01').compile();
    const plan = sqlite.db.prepare(`explain query plan ${purge.sql}`).all(...(purge.parameters as string[])) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toContain('USING INDEX customer_events_created_at');
    await sqlite.close();
  });
});
