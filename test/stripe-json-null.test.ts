import { beforeAll, describe, expect, it } from 'vitest';
import { dialectCalls } from './support/dialect-calls.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

// A Stripe-like JSON null is none (dialects/stripe-like/request.ts): it clears whatever is stored,
// a "" that Meteroid kept as given too, where a "" written back keeps that "" (a read written back
// is not a change: dialects/shared/text-op.ts). A form body has no null: its `phone=` stays the
// write-back of a shown "".

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

const { auth, create, written } = dialectCalls(() => gw);

/** A customer holding "" where Meteroid keeps the empty text it is given. */
const withEmpties = () =>
  create('meteroid', { name: 'Empties', currency: 'EUR', phone: '', billing_address: { line1: '', city: 'Oslo', country: 'NO' } });

describe.each(['wooshpay', 'connhex'] as const)('%s: a JSON null where "" is stored', (d) => {
  it('clears the phone: the customer holds none, and shows null', async () => {
    const c = await withEmpties();
    expect(c.phone).toBe('');
    const after = await written(d, c, { phone: null });
    expect(after.phone).toBeNull();
    expect(after.version).toBe(c.version + 1);
  });

  it('clears an address member, and leaves the others', async () => {
    const c = await withEmpties();
    expect(c.address).toMatchObject({ line1: '', city: 'Oslo' });
    const after = await written(d, c, { address: { line1: null } });
    expect(after.address).toMatchObject({ line1: null, city: 'Oslo', country: 'NO' });
  });

  it('while "" written back keeps the stored "" (no new version)', async () => {
    const c = await withEmpties();
    const after = await written(d, c, { phone: '', address: { line1: '' } });
    expect(after).toMatchObject({ phone: '', version: c.version });
    expect(after.address).toMatchObject({ line1: '' });
  });
});

it('wooshpay: a form body\'s phone= is the write-back of a shown "": it keeps the stored ""', async () => {
  const c = await withEmpties();
  const path = `/wooshpay/v1/customers/${c.ids.public_id}`;
  const res = await gw.request(path, {
    method: 'POST',
    headers: { ...auth('wooshpay'), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'phone=',
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await gw.canonical(c.ids.uuid)).toMatchObject({ phone: '', version: c.version });
});
