import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { jsonInit, testGateway } from './support/gateway.ts';

// An update that keeps a customer's identifiers leaves them out of the stored write (the store's
// narrow UPDATE, src/store/store.ts); one that changes them writes them, and a taken one is refused
// without writing anything. Through Zenskar, whose path takes the external_id too.

describe('updates and the customer identifiers', () => {
  it('keeps, moves and refuses an external_id as the client asked', async () => {
    const gw = await testGateway();
    const auth = fixturesOf(dialects.zenskar).auth(gw.tenant.credentials.zenskar!);
    const send = (method: string, path: string, body?: unknown) =>
      gw.request(`/zenskar/customers${path}`, body === undefined ? { headers: auth } : jsonInit(method, body, auth));
    const first = await send('POST', '', { customer_name: 'Ada', external_id: 'ext-one' });
    expect(first.status).toBe(dialects.zenskar.wire.createdStatus);
    expect((await send('POST', '', { customer_name: 'Bea', external_id: 'ext-taken' })).status).toBe(dialects.zenskar.wire.createdStatus);

    // A rename keeps the external_id: the customer is still found by it.
    expect((await send('PATCH', '/ext-one', { customer_name: 'Ada Lovelace' })).status).toBe(200);
    const kept = (await (await send('GET', '/ext-one')).json()) as { customer_name: string; external_id: string };
    expect(kept).toMatchObject({ customer_name: 'Ada Lovelace', external_id: 'ext-one' });

    // A new external_id moves the lookup; the old one finds nothing.
    expect((await send('PATCH', '/ext-one', { external_id: 'ext-two' })).status).toBe(200);
    expect((await send('GET', '/ext-two')).status).toBe(200);
    expect((await send('GET', '/ext-one')).status).toBe(404);

    // Another customer's external_id is refused, and the refused write changed nothing.
    const clash = await send('PATCH', '/ext-two', { customer_name: 'Not written', external_id: 'ext-taken' });
    expect(clash.status).toBe(409);
    const after = (await (await send('GET', '/ext-two')).json()) as { customer_name: string; external_id: string };
    expect(after).toMatchObject({ customer_name: 'Ada Lovelace', external_id: 'ext-two' });
    expect(((await (await send('GET', '/ext-taken')).json()) as { customer_name: string }).customer_name).toBe('Bea');

    // A rename after the refusal still writes, and keeps the identifier.
    expect((await send('PATCH', '/ext-two', { customer_name: 'Ada King' })).status).toBe(200);
    expect(((await (await send('GET', '/ext-two')).json()) as { customer_name: string }).customer_name).toBe('Ada King');
  });
});
