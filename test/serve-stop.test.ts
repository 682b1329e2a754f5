import { describe, expect, it, vi } from 'vitest';
import { startNode } from '../src/entries/node.ts';
import { drainAndStop } from '../src/entries/serve.ts';
import { testEnv } from './support/gateway.ts';
import { testStore } from './support/store.ts';

// `custgate serve` on SIGINT/SIGTERM drains and closes the gateway (src/entries/serve.ts). A close
// that fails (a store that will not close) is said in one line and exit code 1; before, the store's
// failure was an unhandled rejection (a stack trace) beside a close that reported success, exit 0.
// No seam makes a real store's close fail in a `serve` process, so the stop handler is driven here
// with a gateway over a store whose close rejects.

describe('serve, stopped', () => {
  it('a store that will not close: one line naming why, and exit code 1', async () => {
    const store = await testStore();
    const close = store.executor.close.bind(store.executor);
    Object.assign(store.executor, {
      close: async () => {
        await close();
        throw new Error('the disk went away');
      },
    });
    const gateway = await startNode(testEnv, { port: 0, store });
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(await drainAndStop(() => gateway.close(), '')).toBe(1);
    } finally {
      stderr.mockRestore();
    }
    expect(written).toEqual(['custgate: stopping failed: the disk went away\n']);
  });
});
