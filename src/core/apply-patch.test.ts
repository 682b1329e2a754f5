import { describe, expect, it } from 'vitest';
import { clear, fieldDefaults, merge, set, type TaxId } from '../../schemas/index.ts';
import { applyPatch, diffFields } from './apply-patch.ts';

describe('applyPatch', () => {
  it('changes only the fields the patch names, and never its input', () => {
    const start = { ...fieldDefaults, name: 'A', email: 'a@x.io' };
    const frozen = JSON.stringify(start);
    const next = applyPatch(start, { name: set('B') });
    expect(next).toEqual({ ...start, name: 'B' });
    expect(JSON.stringify(start)).toBe(frozen);
  });

  it('clears to the canonical default: null, [] or the default value', () => {
    const start = {
      ...fieldDefaults,
      name: 'A',
      invoicing_emails: ['x@y.z'],
      tax_exempt: 'exempt' as const,
      communications_enabled: false,
    };
    const next = applyPatch(start, { name: clear, invoicing_emails: clear, tax_exempt: clear, communications_enabled: clear });
    expect(next).toMatchObject({ name: null, invoicing_emails: [], tax_exempt: 'none', communications_enabled: true });
  });

  it('merges metadata key by key; set replaces it whole', () => {
    const start = { ...fieldDefaults, metadata: { a: 1, b: 2 } };
    expect(applyPatch(start, { metadata: merge({ b: clear, c: set(3) }) }).metadata).toEqual({ a: 1, c: 3 });
    expect(applyPatch(start, { metadata: set({ z: true }) }).metadata).toEqual({ z: true });
  });

  it('an address whose every member is cleared is no address', () => {
    const start = applyPatch(fieldDefaults, { address: merge({ city: set('Oslo') }) });
    expect(start.address?.city).toBe('Oslo');
    expect(applyPatch(start, { address: merge({ city: clear }) }).address).toBeNull();
  });

  it('patches shipping members, including its address', () => {
    const start = applyPatch(fieldDefaults, { shipping: merge({ name: set('Dock'), address: merge({ city: set('Oslo') }) }) });
    const next = applyPatch(start, { shipping: merge({ same_as_billing: set(true), address: merge({ line1: set('Pier 1') }) }) });
    expect(next.shipping).toMatchObject({ name: 'Dock', same_as_billing: true, address: { city: 'Oslo', line1: 'Pier 1' } });
  });
});

describe('diffFields', () => {
  it('lists each changed top-level field with before and after', () => {
    const before = { ...fieldDefaults, name: 'A' };
    const after = applyPatch(before, { name: set('B'), metadata: merge({ k: set('v') }) });
    expect(diffFields(before, after)).toEqual([
      { field: 'name', before: 'A', after: 'B' },
      { field: 'metadata', before: { k: null }, after: { k: 'v' } },
    ]);
    expect(diffFields(after, after)).toEqual([]);
  });
});

const gst: TaxId = { type: 'GST', value: '123', country: 'AU' };
const vat: TaxId = { type: 'vat', value: 'DE1', country: 'DE' };
const ein: TaxId = { type: 'EIN', value: '12-3', country: 'US' };
const withIds = { ...fieldDefaults, tax_ids: [gst, vat, ein] };

describe('applyPatch: tax ids', () => {
  it('merge replaces the entry of one type in place, case-insensitively, and keeps the others', () => {
    const next = { type: 'VAT', value: 'DE2', country: 'DE' };
    expect(applyPatch(withIds, { tax_ids: merge({ VAT: set(next) }) }).tax_ids).toEqual([gst, next, ein]);
  });

  it('merge appends a type not yet present, and a cleared type removes its entries', () => {
    expect(applyPatch({ ...fieldDefaults, tax_ids: [gst] }, { tax_ids: merge({ VAT: set(vat) }) }).tax_ids).toEqual([gst, vat]);
    expect(applyPatch(withIds, { tax_ids: merge({ VAT: clear }) }).tax_ids).toEqual([gst, ein]);
  });

  it('set replaces the whole list and clear empties it', () => {
    expect(applyPatch(withIds, { tax_ids: set([ein]) }).tax_ids).toEqual([ein]);
    expect(applyPatch(withIds, { tax_ids: clear }).tax_ids).toEqual([]);
    expect(applyPatch(withIds, {}).tax_ids).toEqual([gst, vat, ein]);
  });
});
