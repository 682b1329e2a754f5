import { beforeAll, describe, expect, it } from 'vitest';
import { dialectCalls } from './support/dialect-calls.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

// Meteroid shows one VAT number (vat_number) for the canonical tax ids: the first of type VAT,
// compared case-insensitively. Written back as read, it must change nothing (docs/seams.md, rule 1):
// not the country another dialect gave it (Meteroid can only guess one from a number's prefix) nor
// the type as it was spelt ("vat" through Zenskar's tax_code).

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

const { create, read, written } = dialectCalls(() => gw);

describe('meteroid: the vat_number it shows, written back', () => {
  it.each([
    ['a number without a country prefix, its country given', { tax_code: 'VAT', tax_id: '123456789', country_code: 'DE' }],
    ['a type spelt in lower case', { tax_code: 'vat', tax_id: 'FR40303265045', country_code: 'FR' }],
    ['a country that is not the prefix', { tax_code: 'VAT', tax_id: 'DE123456789', country_code: 'AT' }],
  ])('%s: keeps the tax id as it is, no new version', async (_, entry) => {
    const c = await create('zenskar', {
      customer_name: 'Taxed',
      tax_info: [entry, { tax_code: 'GST', tax_id: 'G-1', country_code: 'AU' }],
    });
    const shown = await read('meteroid', c);
    expect(shown.vat_number).toBe(entry.tax_id);
    const after = await written('meteroid', c, { vat_number: shown.vat_number });
    expect(after.tax_ids).toEqual(c.tax_ids);
    expect(after.version).toBe(c.version);
  });

  it('a new number replaces the entry, its country read from the prefix', async () => {
    const c = await create('zenskar', { customer_name: 'Taxed', tax_info: [{ tax_code: 'vat', tax_id: '123456789', country_code: 'DE' }] });
    const after = await written('meteroid', c, { vat_number: 'FR40303265045' });
    expect(after.tax_ids).toEqual([{ type: 'VAT', value: 'FR40303265045', country: 'FR' }]);
  });
});
