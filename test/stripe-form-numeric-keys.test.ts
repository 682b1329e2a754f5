import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectCalls } from './support/dialect-calls.ts';
import { testEnv, type TestGateway, testGateway } from './support/gateway.ts';
import { testStore } from './support/store.ts';
import { type SdkGateway, startSdkGateway } from './support/stripe-sdk.ts';

// A metadata key that is a number ("1", "2024-like" short ids, a position) written by a Stripe
// client in a form body: the stripe SDK sends `metadata[7]=x`, bracket notation a form parser can
// read as an array index. An array's holes were closed up, so `metadata[7]=x` stored the key "0",
// and `metadata[7]=` (delete key 7) deleted key "0" instead. A key is a key: kept as sent
// (src/contract/body.ts, decodeForm).

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

const { auth, create } = dialectCalls(() => gw);

async function formWrite(path: string, d: 'wooshpay' | 'connhex', body: string) {
  return gw.request(path, {
    method: 'POST',
    headers: { ...auth(d), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

describe('wooshpay: metadata keys that are numbers, in a form body', () => {
  it('a numeric key is stored under that key', async () => {
    const c = await create('wooshpay', { name: 'Numbers' });
    const res = await formWrite(`/v1/customers/${c.ids.public_id}`, 'wooshpay', 'metadata[7]=seven&metadata[12]=twelve');
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { metadata: unknown }).metadata).toEqual({ 7: 'seven', 12: 'twelve' });
    expect((await gw.canonical(c.ids.uuid)).metadata).toEqual({ 7: 'seven', 12: 'twelve' });
  });

  it('deleting a numeric key deletes that key, not another', async () => {
    const c = await create('zenskar', { customer_name: 'Numbers', custom_data: { 0: 'keep', 3: 'drop' } });
    const res = await formWrite(`/v1/customers/${c.ids.public_id}`, 'wooshpay', 'metadata[3]=');
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await gw.canonical(c.ids.uuid)).metadata).toEqual({ 0: 'keep' });
  });

  it('on a create, and from the query string, as Stripe reads both', async () => {
    const res = await gw.request('/v1/customers?metadata[5]=five', {
      method: 'POST',
      headers: { ...auth('wooshpay'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Made&metadata[2]=two',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const shown = (await res.json()) as { id: string; metadata: unknown };
    expect(shown.metadata).toEqual({ 2: 'two', 5: 'five' });
    expect((await gw.canonical(shown.id)).metadata).toEqual({ 2: 'two', 5: 'five' });
  });

  it('keys from 0 up, as a client sends an array, stay those keys', async () => {
    const c = await create('wooshpay', { name: 'Numbers' });
    const res = await formWrite(`/v1/customers/${c.ids.public_id}`, 'wooshpay', 'metadata[0]=a&metadata[1]=b');
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await gw.canonical(c.ids.uuid)).metadata).toEqual({ 0: 'a', 1: 'b' });
  });
});

// `metadata[]=x` names no key: Rack, under Stripe, reads it as a list where Stripe takes a hash of
// named keys (https://docs.stripe.com/api/metadata), which Stripe refuses as an invalid hash. It was
// stored under the key "0", as a JSON list's items were under their positions.
describe('wooshpay: metadata that names no key', () => {
  const d = 'wooshpay';
  const collection = '/v1/customers';
  it.each([
    ['metadata[]=x', 'metadata[]=x&name=Other'],
    ['metadata[]=x twice', 'metadata[]=x&metadata[]=y'],
  ])('%s is a 400 naming metadata, and nothing is written', async (_, body) => {
    const c = await create(d, { name: 'Keys', metadata: { kept: 'yes' } });
    const res = await formWrite(`${collection}/${c.ids.public_id}`, d, body);
    expect(res.status, await res.clone().text()).toBe(400);
    const { error } = (await res.json()) as { error: { type: string; param?: string; message: string } };
    expect(error).toMatchObject({ type: 'invalid_request_error', param: 'metadata', message: expect.stringContaining('Invalid hash') });
    expect(await gw.canonical(c.ids.uuid)).toMatchObject({ name: 'Keys', metadata: { kept: 'yes' }, version: c.version });
  });

  it('a JSON list is a 400 too', async () => {
    const c = await create(d, { name: 'Keys', metadata: { kept: 'yes' } });
    const res = await gw.request(`${collection}/${c.ids.public_id}`, {
      method: 'POST',
      headers: { ...auth(d), 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: ['x'] }),
    });
    expect(res.status, await res.clone().text()).toBe(400);
    expect(((await res.json()) as { error: { param?: string } }).error.param).toBe('metadata');
    expect(await gw.canonical(c.ids.uuid)).toMatchObject({ metadata: { kept: 'yes' }, version: c.version });
  });
});

// `{"metadata": {"": "x"}}` in a JSON body was stored under the key "": a key Stripe's docs make a
// name, which no Stripe client can send back (its form would be `metadata[]=x`, refused above) and
// a Stripe-like upstream cannot carry. Refused as the form is; a key the customer holds (written
// through Zenskar's custom_data) may still be sent back as shown, as its long keys may.
/** A Wooshpay POST with a JSON body. */
const jsonWrite = (path: string, body: unknown) =>
  gw.request(path, { method: 'POST', headers: { ...auth('wooshpay'), 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A Zenskar custom_data as the Wooshpay client half would send it: the body and the losses named. */
async function toWooshpay(customData: Record<string, string>) {
  const res = await jsonWrite('/gateway/v1/translate?from=zenskar&to=wooshpay', { custom_data: customData });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { body: { metadata?: object }; losses: { field: string; kind: string; message: string }[] };
}

describe('wooshpay: an empty metadata key', () => {
  const d = 'wooshpay';
  const collection = '/v1/customers';

  it('is a 400 naming it in the envelope, on update and create, and nothing is written', async () => {
    const c = await create(d, { name: 'Keys', metadata: { kept: 'yes' } });
    for (const res of [
      await jsonWrite(`${collection}/${c.ids.public_id}`, { metadata: { '': 'x', other: 'y' }, name: 'Other' }),
      await jsonWrite(collection, { name: 'Made', metadata: { '': 'x' } }),
    ]) {
      expect(res.status, await res.clone().text()).toBe(400);
      expect(((await res.json()) as { error: unknown }).error).toEqual({
        type: 'invalid_request_error',
        code: 'parameter_invalid',
        message: 'Metadata keys must not be empty.',
        param: 'metadata[]',
      });
    }
    expect(await gw.canonical(c.ids.uuid)).toMatchObject({ name: 'Keys', metadata: { kept: 'yes' }, version: c.version });
  });

  it('one the customer holds (written through Zenskar) is sent back as shown', async () => {
    const c = await create('zenskar', { customer_name: 'Held', custom_data: { '': 'x', kept: 'yes' } });
    const read = await gw.request(`${collection}/${c.ids.public_id}`, { headers: auth(d) });
    const { metadata } = (await read.json()) as { metadata: Record<string, string> };
    expect(metadata).toEqual({ '': 'x', kept: 'yes' });
    const res = await jsonWrite(`${collection}/${c.ids.public_id}`, { metadata, name: 'Held' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await gw.canonical(c.ids.uuid)).toMatchObject({ metadata: { '': 'x', kept: 'yes' } });
  });
});

// Stripe's docs: "Square brackets ([ ]) can't be included in keys" (https://docs.stripe.com/metadata);
// a form reads `metadata[a[b]]=x` as nesting. A JSON key `a[b]` was stored, which no Stripe client
// could send back; one the customer holds (Zenskar) is left out going to a Wooshpay upstream.
describe('wooshpay: a metadata key with square brackets', () => {
  it.each(['a[b]', 'plan]', '[x'])('%s: a 400 naming it, nothing written', async (key) => {
    const c = await create('wooshpay', { name: 'Keys', metadata: { kept: 'yes' } });
    const res = await jsonWrite(`/v1/customers/${c.ids.public_id}`, { metadata: { [key]: 'x' } });
    expect(res.status, await res.clone().text()).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      type: 'invalid_request_error',
      message: 'Metadata keys must not contain square brackets.',
    });
    expect(await gw.canonical(c.ids.uuid)).toMatchObject({ metadata: { kept: 'yes' }, version: c.version });
  });

  it('one a customer holds is named as a loss going to Wooshpay, and left out', async () => {
    const { body, losses } = await toWooshpay({ 'a[b]': 'x', plan: 'gold' });
    expect(Object.keys(body.metadata ?? {})).toEqual(['plan']);
    expect(losses).toContainEqual(expect.objectContaining({ field: 'metadata', message: expect.stringContaining('"a[b]" not sent') }));
  });
});

// A customer can still hold the key "" (Zenskar's custom_data takes any key). A Stripe-like
// upstream cannot be given it: a form body would say `metadata[]=x`, which Stripe refuses. The
// client half leaves it out and names it, as it does other values it has no form for.
it('the key "" is named as a loss going to Wooshpay, and left out of the body', async () => {
  const { body, losses } = await toWooshpay({ '': 'x', plan: 'gold' });
  expect(body.metadata).toMatchObject({ plan: 'gold' });
  expect(Object.keys(body.metadata as object)).not.toContain('');
  expect(losses).toContainEqual({
    field: 'metadata',
    kind: 'inexpressible',
    message: 'Stripe-like metadata keys are names: the key "" has no form (metadata[]= is a list) and is not sent.',
  });
  // Named once, as the field: not as a member with no name ("metadata.").
  expect(losses.map((l) => l.field)).not.toContain('metadata.');
});

it('connhex: a list sent with a gap in its indices is a 400 naming it, and nothing is written', async () => {
  const c = await create('connhex', { name: 'Locales', preferred_locales: ['de'] });
  const res = await formWrite(`/connhex/customers/${c.ids.public_id}`, 'connhex', 'preferred_locales[1]=fr&name=Other');
  expect(res.status).toBe(400);
  const { error } = (await res.json()) as { error: { type: string; param: string } };
  expect(error).toMatchObject({ type: 'invalid_request_error', param: expect.stringContaining('preferred_locales') });
  expect(await gw.canonical(c.ids.uuid)).toMatchObject({ name: 'Locales', preferred_locales: ['de'], version: c.version });
});

describe('the stripe SDK', () => {
  let sdk: SdkGateway;
  let stripe: Stripe;
  beforeAll(async () => {
    sdk = await startSdkGateway(testEnv, await testStore());
    stripe = sdk.stripe(0);
  });
  afterAll(() => sdk?.node.close());

  it('writes, merges and deletes numeric metadata keys as it names them', async () => {
    const created = await stripe.customers.create({ name: 'Jenny Rosen', metadata: { 1: 'one', 42: 'answer', plan: 'gold' } });
    expect(created.metadata).toEqual({ 1: 'one', 42: 'answer', plan: 'gold' });
    const updated = await stripe.customers.update(created.id, { metadata: { 42: '', 9: 'nine' } });
    expect(updated.metadata).toEqual({ 1: 'one', 9: 'nine', plan: 'gold' });
    const retrieved = (await stripe.customers.retrieve(created.id)) as Stripe.Customer;
    expect(retrieved.metadata).toEqual({ 1: 'one', 9: 'nine', plan: 'gold' });
  });
});
