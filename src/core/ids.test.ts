import { describe, expect, it } from 'vitest';
import { newPublicId, randomBase62 } from './ids.ts';

describe('randomBase62', () => {
  it('gives the length asked for, in base62 only, across many refills of its byte pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = randomBase62(14);
      expect(id).toMatch(/^[0-9A-Za-z]{14}$/);
      seen.add(id);
    }
    // 5000 ids of 83 bits each: a repeat means the pool hands out the same bytes twice.
    expect(seen.size).toBe(5000);
    expect(newPublicId()).toMatch(/^cus_[0-9A-Za-z]{14}$/);
  });

  it('uses every character about equally often', () => {
    const counts = new Map<string, number>();
    for (const c of randomBase62(62 * 400)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 400 expected per character; 250..550 is far outside chance for an unbiased source.
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(250);
      expect(n).toBeLessThan(550);
    }
  });
});
