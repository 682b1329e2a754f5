import { describe, expect, it } from 'vitest';
import { clear, fieldDefaults, merge, set, type TaxId } from '../../schemas/index.ts';
import { applyPatch } from './apply-patch.ts';

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
