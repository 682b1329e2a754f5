import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../src/config.ts';
import { openStore } from '../src/open-store.ts';
import { cacheMbFor } from '../src/store/sqlite-apply.js';
import type { Store } from '../src/store/store.ts';
import { testBackend } from './support/store.ts';

// CUSTGATE_SQLITE_CACHE_MB: the most the page cache of the connection that writes (the writer
// thread's, or the main thread's with CUSTGATE_SQLITE_WRITER=inline) is given, 64 MB by default, so
// that on a large store the interior pages of the B-trees an update descends stay cached
// (docs/performance.md, "A million customers"). Within it the cache is sized to the file, about a
// 32nd of it and at least the driver's 16 MB: a small store's writes would otherwise fill 64 MB with
// pages never read again ("The seventeenth round"). Read back on that connection through the store,
// as the server opens it. SQLite only.

const dir = mkdtempSync(join(tmpdir(), 'custgate-writer-cache-'));
const opened: Store[] = [];
afterAll(async () => {
  for (const store of opened) await store.executor.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The write connection's `cache_size` (negative: KiB) for a store opened with `env`. */
async function writerCacheSize(name: string, env: Record<string, string> = {}): Promise<number> {
  const store = await openStore({ DATABASE_URL: `file:${join(dir, `${name}.db`)}`, ...env });
  opened.push(store);
  const rows = await store.executor.allForWrite!<{ cache_size: number }>(CompiledQuery.raw('pragma cache_size'));
  return rows[0]!.cache_size;
}

describe.skipIf(testBackend() !== 'sqlite')('the SQLite write connection page cache', () => {
  it("is the driver's 16 MB for a small store, not the 64 MB bound, on the writer thread and inline", async () => {
    expect(await writerCacheSize('default')).toBe(-16 * 1024);
    expect(await writerCacheSize('inline', { CUSTGATE_SQLITE_CACHE_MB: '200', CUSTGATE_SQLITE_WRITER: 'inline' })).toBe(-16 * 1024);
  });

  it('takes CUSTGATE_SQLITE_CACHE_MB as its bound; 0 leaves the driver its own', async () => {
    expect(await writerCacheSize('thread', { CUSTGATE_SQLITE_CACHE_MB: '8' })).toBe(-8 * 1024);
    expect(await writerCacheSize('driver', { CUSTGATE_SQLITE_CACHE_MB: '0' })).toBe(-16000);
  });

  it('grows with the file to a 32nd of it, up to the bound: a 1,000,000-customer store (2.5 GB) gets 64 MB', () => {
    const mib = 1024 * 1024;
    expect(cacheMbFor(2.8 * mib, 64)).toBe(16);
    expect(cacheMbFor(1024 * mib, 64)).toBe(32);
    expect(cacheMbFor(2484916224, 64)).toBe(64);
    expect(cacheMbFor(2484916224, 200)).toBe(74);
    expect(cacheMbFor(2484916224, 8)).toBe(8);
  });

  it('refuses a size that is not a whole number of MB from 0 to 1024, with the variable named', () => {
    for (const bad of ['lots', '-1', '1025', '1.5']) {
      expect(() => loadEnv({ CUSTGATE_SQLITE_CACHE_MB: bad })).toThrow(/CUSTGATE_SQLITE_CACHE_MB/);
    }
  });
});
