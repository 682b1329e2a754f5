import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/core/apply-patch.ts';
import { type CustomerFields, fieldDefaults, set } from '../../schemas/index.ts';
import { fromPatch } from './from-patch.ts';
import { toPatch } from './mapping.ts';
import { UpdateRequestWooshpay } from './request.ts';

const parse = (body: unknown) => v.parse(UpdateRequestWooshpay, body);
const patched = (body: unknown, from: CustomerFields = fieldDefaults) => applyPatch(from, toPatch(parse(body)));

describe('wooshpay mapping', () => {
  it('leaves absent fields out of the patch entirely', () => {
    expect(toPatch(parse({ name: 'Jenny' }))).toEqual({ name: { op: 'set', value: 'Jenny' } });
  });

  it('turns "" into a clear', () => {
    const start = patched({ name: 'Jenny', phone: '+1555' });
    const after = patched({ phone: '' }, start);
    expect(after.phone).toBeNull();
    expect(after.name).toBe('Jenny');
  });

  it('merges metadata by key, deletes a key with "", clears all with metadata=""', () => {
    const start = patched({ metadata: { a: '1', b: '2' } });
    expect(patched({ metadata: { b: '', c: '3' } }, start).metadata).toEqual({ a: '1', c: '3' });
    expect(patched({ metadata: '' }, start).metadata).toEqual({});
  });

  it('patches address members one by one and upper-cases the country', () => {
    const start = patched({ address: { line1: '1 Main St', city: 'Paris', country: 'fr' } });
    expect(start.address).toMatchObject({ line1: '1 Main St', city: 'Paris', country: 'FR' });
    const after = patched({ address: { city: 'Lyon', line1: '' } }, start);
    expect(after.address).toMatchObject({ line1: null, city: 'Lyon', country: 'FR' });
    expect(patched({ address: '' }, start).address).toBeNull();
  });

  it('replaces shipping whole', () => {
    const start = patched({ shipping: { name: 'Dock', phone: '1', address: { city: 'Oslo', country: 'NO' } } });
    const after = patched({ shipping: { name: 'Gate', address: { line1: 'x' } } }, start);
    expect(after.shipping).toMatchObject({ name: 'Gate', phone: null, address: { line1: 'x', city: null, country: null } });
  });

  it('refuses unknown parameters, non-string values and unknown countries', () => {
    expect(v.safeParse(UpdateRequestWooshpay, { nickname: 'x' }).success).toBe(false);
    expect(v.safeParse(UpdateRequestWooshpay, { name: 42 }).success).toBe(false);
    expect(v.safeParse(UpdateRequestWooshpay, { address: { country: 'XX' } }).success).toBe(false);
    expect(v.safeParse(UpdateRequestWooshpay, { shipping: { address: { city: 'x' }, carrier: 'UPS' } }).success).toBe(false);
  });

  it('does not claim to carry a value set to "": Wooshpay reads it as a clear (phone, shipping phone)', () => {
    const phone = fromPatch({ phone: set('') });
    expect(phone.body).toEqual({ phone: '' });
    expect(phone.losses).toEqual([{ field: 'phone', kind: 'lossy', message: expect.any(String) }]);
    const shipping = fromPatch({ shipping: set({ name: 'N', phone: '', same_as_billing: false, address: null }) });
    expect(shipping.losses).toContainEqual(expect.objectContaining({ field: 'shipping.phone', kind: 'lossy' }));
  });
});
