import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { heapGrowingBounds, heapGrowingFlag } from '../bin/heap.js';

// `custgate serve` bounds how far V8 lets its old generation grow between full collections
// (bin/heap.js, docs/performance.md "Memory"): on by default, CUSTGATE_HEAP_GROWING_PERCENT to
// change it, 0 for V8's own pacing, and never over a flag the operator gave node itself.

const bin = fileURLToPath(new URL('../bin/custgate.js', import.meta.url));
const run = promisify(execFile);

describe('the heap growing factor the bin sets', () => {
  it('serve gets the default; other commands get nothing', () => {
    expect(heapGrowingFlag(['serve', '--port', '0'], {}, [])).toBe(`--heap-growing-percent=${heapGrowingBounds.serveDefault}`);
    expect(heapGrowingFlag(['import', 'book.json'], {}, [])).toBeUndefined();
    expect(heapGrowingFlag(['tenant', 'create', 'serve'], {}, [])).toBeUndefined();
    expect(heapGrowingFlag([], {}, [])).toBeUndefined();
  });

  it("CUSTGATE_HEAP_GROWING_PERCENT sets it, 0 leaves V8's own pacing, node's own flag wins", () => {
    expect(heapGrowingFlag(['serve'], { CUSTGATE_HEAP_GROWING_PERCENT: '50' }, [])).toBe('--heap-growing-percent=50');
    expect(heapGrowingFlag(['serve'], { CUSTGATE_HEAP_GROWING_PERCENT: '0' }, [])).toBeUndefined();
    expect(heapGrowingFlag(['serve'], { CUSTGATE_HEAP_GROWING_PERCENT: '' }, [])).toBe('--heap-growing-percent=20');
    expect(heapGrowingFlag(['serve'], { CUSTGATE_HEAP_GROWING_PERCENT: '50' }, ['--heap-growing-percent=80'])).toBeUndefined();
  });

  it('a value out of bounds is refused', () => {
    for (const bad of ['-1', '1001', '20.5', 'abc', '1e2', ' 20'])
      expect(() => heapGrowingFlag(['serve'], { CUSTGATE_HEAP_GROWING_PERCENT: bad }, [])).toThrow(/from 0 to 1000/);
  });

  it('serve with a bad value exits 1 with the reason, before it opens anything', async () => {
    const failed = await run(process.execPath, [bin, 'serve', '--no-demo'], {
      env: { PATH: process.env.PATH ?? '', CUSTGATE_HEAP_GROWING_PERCENT: 'lots', DATABASE_URL: 'file:/nonexistent/dir/never.db' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe(
      `custgate: CUSTGATE_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000 (0: V8's own pacing), not "lots"\n`,
    );
    expect(failed?.stdout).toBe('');
  });
});
