import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.ts';

describe('BoundedMap', () => {
  it('holds at most its size, dropping the entry written longest ago', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([map.get('a'), map.get('b'), map.get('c'), map.count]).toEqual([3, undefined, 4, 2]);
  });

  it('drops the least recently used first when reads go through use()', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.use('a')).toBe(1);
    map.set('c', 3);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([1, undefined, 3]);
  });

  it('keeps nothing at size 0', () => {
    const map = new BoundedMap<string, number>(0);
    map.set('a', 1);
    expect([map.enabled, map.get('a'), map.count]).toEqual([false, undefined, 0]);
  });
});
