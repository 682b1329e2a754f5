import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../src/config.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { testBackend } from './support/store.ts';

// CUSTGATE_SQLITE_CHECKPOINT=thread: the WAL is checkpointed by a thread of its own, outside every
// commit (src/store/sqlite-writer.js, docs/performance.md "The update's tail"): acknowledged updates
// reach the database file itself while the server runs, once the commits stop, without waiting for
// the WAL to pass 1,000 pages. The default leaves that to SQLite's checkpoint inside a commit. SQLite only.

const dir = mkdtempSync(join(tmpdir(), 'custgate-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The customers table of the database file alone, as it is on disk without its WAL. */
function fileOnly(path: string): string[] {
  const copy = join(dir, `copy-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(path, copy);
  try {
    const db = new Database(copy, { readonly: true });
    try {
      return (db.prepare('select data from customers').all() as { data: string }[]).map((r) => r.data);
    } finally {
      db.close();
    }
  } catch {
    // Copied while the checkpoint was writing it: read again.
    return [];
  } finally {
    rmSync(copy, { force: true });
  }
}

/**
 * The frames in the WAL now: mxFrame of the wal-index header, 16 bytes into the -shm file
 * (https://sqlite.org/walformat.html), little-endian on the machines this runs on. The WAL file
 * itself keeps its largest length after a reset, the migrations' included.
 */
function walFrames(path: string): number {
  return readFileSync(`${path}-shm`).readUInt32LE(16);
}

async function updates(gateway: TestGateway, count: number): Promise<string> {
  const auth = { authorization: `Bearer ${gateway.tenant.credentials.wooshpay!.secret_key}` };
  const { app } = gateway;
  const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Checkpoint 0' }, auth));
  expect(created.status).toBe(200);
  const { id } = (await created.json()) as { id: string };
  for (let i = 1; i <= count; i++) {
    const res = await app.request(`/v1/customers/${id}`, jsonInit('POST', { name: `Checkpoint ${i}` }, auth));
    expect(res.status).toBe(200);
  }
  return `Checkpoint ${count}`;
}

describe.skipIf(testBackend() !== 'sqlite')('SQLite checkpoints off the commit path', () => {
  it('with the thread, copies acknowledged updates into the database file while the server runs', async () => {
    const path = join(dir, 'thread.db');
    const gateway = await testGateway({ DATABASE_URL: `file:${path}`, CUSTGATE_SQLITE_CHECKPOINT: 'thread' });
    const last = await updates(gateway, 20);
    let seen = false;
    for (let tries = 0; tries < 80 && !seen; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = fileOnly(path).some((data) => data.includes(last));
    }
    expect(seen).toBe(true);
    // What a process reading the store sees is unchanged.
    expect(existsSync(`${path}-wal`)).toBe(true);
  });

  it('with the thread, keeps the WAL under 2,000 frames under sustained writes (it starts again from its first frame)', async () => {
    // Under steady commits the thread's checkpoint never reaches the WAL's last frame (frames keep
    // arriving while it copies), and only a checkpoint that does lets the next commit start the
    // WAL again from frame 0: without the writer finishing each step, the WAL grew by every commit
    // up to the writer's 16,000-page bound. Writes in flight 16 at a time, so commits land during
    // every checkpoint.
    const path = join(dir, 'sustained.db');
    const gateway = await testGateway({ DATABASE_URL: `file:${path}`, CUSTGATE_SQLITE_CHECKPOINT: 'thread' });
    const auth = { authorization: `Bearer ${gateway.tenant.credentials.wooshpay!.secret_key}` };
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const created = await gateway.app.request('/v1/customers', jsonInit('POST', { name: `Sustained ${i}` }, auth));
      ids.push(((await created.json()) as { id: string }).id);
    }
    let written = 0;
    let walMax = 0;
    for (let round = 0; round < 250; round++) {
      const answers = await Promise.all(
        ids.map((id, i) =>
          gateway.app.request(
            `/v1/customers/${id}`,
            jsonInit('POST', { name: `Sustained ${i} ${round}`, metadata: { round: String(round) } }, auth),
          ),
        ),
      );
      expect(answers.map((res) => res.status)).toEqual(ids.map(() => 200));
      written += ids.length;
      walMax = Math.max(walMax, walFrames(path));
    }
    // 4,000 updates went through the WAL: without the finishing step it held 2,843 frames after 3,200.
    expect(written).toBe(4000);
    expect(walMax).toBeLessThan(2000);
  }, 180_000);

  it('by default (inline), leaves them in the WAL until it passes 1,000 pages', async () => {
    const path = join(dir, 'inline.db');
    const gateway = await testGateway({ DATABASE_URL: `file:${path}` });
    const last = await updates(gateway, 20);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(fileOnly(path).some((data) => data.includes(last))).toBe(false);
    expect(readFileSync(`${path}-wal`).includes(Buffer.from(last))).toBe(true);
  });

  it.each(['inline', 'thread'])('with CUSTGATE_SQLITE_CHECKPOINT_PAGES=100 (%s), checkpoints every 100 pages', async (checkpoint) => {
    // An update appends about 4 frames: with the default (1,000) the WAL holds 200 updates' worth
    // before a checkpoint.
    const path = join(dir, `pages-${checkpoint}.db`);
    const gateway = await testGateway({
      DATABASE_URL: `file:${path}`,
      CUSTGATE_SQLITE_CHECKPOINT: checkpoint,
      CUSTGATE_SQLITE_CHECKPOINT_PAGES: '100',
    });
    const auth = { authorization: `Bearer ${gateway.tenant.credentials.wooshpay!.secret_key}` };
    const created = await gateway.app.request('/v1/customers', jsonInit('POST', { name: 'Pages 0' }, auth));
    const { id } = (await created.json()) as { id: string };
    let walMax = 0;
    for (let i = 1; i <= 300; i++) {
      const res = await gateway.app.request(`/v1/customers/${id}`, jsonInit('POST', { name: `Pages ${i}` }, auth));
      expect(res.status).toBe(200);
      // After the first hundred: the migrations leave a WAL of their own for the first checkpoint.
      if (i > 100) walMax = Math.max(walMax, walFrames(path));
    }
    expect(walMax).toBeLessThan(250);
  });

  it('refuses an unknown checkpoint mode with the variable named', () => {
    expect(() => loadEnv({ CUSTGATE_SQLITE_CHECKPOINT: 'sometimes' })).toThrow(/CUSTGATE_SQLITE_CHECKPOINT/);
  });
});
