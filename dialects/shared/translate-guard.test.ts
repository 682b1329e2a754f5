import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { Loss } from '../../src/contract/dialect.ts';
import { keepAccepted } from './translate-guard.ts';

const entries = {
  name: v.optional(v.pipe(v.string(), v.maxLength(5))),
  address: v.optional(v.strictObject({ city: v.optional(v.pipe(v.string(), v.maxLength(5))), line1: v.optional(v.string()) })),
  tags: v.optional(v.array(v.pipe(v.string(), v.maxLength(2)))),
};
const context = { title: 'Target', fieldOf: (p: string) => (p === 'name' ? 'display_name' : p) };

describe('keepAccepted', () => {
  it('keeps a body the target accepts as it is, with no loss', () => {
    const losses: Loss[] = [];
    const body = { name: 'Ann', address: { city: 'Rome' }, tags: ['a'], other: 1 };
    expect(keepAccepted(entries, body, context, losses)).toEqual(body);
    expect(losses).toEqual([]);
  });

  it('leaves out refused values, and refused members of an object one by one, each as an inexpressible loss', () => {
    const losses: Loss[] = [];
    const body = { name: 'Annabel', address: { city: 'Paris-Nord', line1: '1 Rue' }, tags: ['a', 'bbb'] };
    expect(keepAccepted(entries, body, context, losses)).toEqual({ address: { line1: '1 Rue' } });
    expect(losses.map((l) => `${l.field}:${l.kind}`)).toEqual([
      'display_name:inexpressible',
      'address.city:inexpressible',
      'tags:inexpressible',
    ]);
    expect(losses[0]!.message).toContain('Target refuses this name');
  });
});
