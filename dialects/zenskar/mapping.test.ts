import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type Customer, clear, clearToEmpty, fieldDefaults, merge, set, stateDefaults } from '../../schemas/index.ts';
import { GatewayError } from '../../src/contract/dialect.ts';
import { renderErrorZenskar } from './errors.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestZenskar, UpdateRequestZenskar } from './request.ts';
import { CustomerResponseZenskar } from './seed-response.ts';

const parse = (body: unknown) => v.parse(UpdateRequestZenskar, body);
const patchOf = (body: unknown) => toPatch(parse(body));

const customer = (fields: Partial<Customer> = {}): Customer => ({
  ...fieldDefaults,
  ...stateDefaults,
  uuid: '3f2a1c9e-8d4b-4e6f-9a1b-2c3d4e5f6a7b',
  public_id: 'cus_abcdefghijklmn',
  number: 1,
  version: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ...fields,
});

const address = {
  line1: '1 Main St',
  line2: null,
  line3: 'Building C',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62701',
  country: 'US',
  email: 'billing@example.com',
  phone: null,
};

describe('happy', () => {
  it('maps absent to unchanged and null to clear', () => {
    expect(patchOf({})).toEqual({});
    expect(patchOf({ customer_name: null, phone_number: null, email: null, external_id: null })).toEqual({
      name: clear,
      phone: clear,
      email: clear,
      external_id: clear,
    });
    expect(patchOf({ customer_name: 'Acme', phone_number: '+1555' })).toEqual({ name: set('Acme'), phone: set('+1555') });
  });

  it('treats an empty string as clearing a text field', () => {
    expect(patchOf({ customer_name: '', external_id: '' })).toEqual({ name: clearToEmpty, external_id: clearToEmpty });
  });

  it('replaces custom_data whole and clears it with null', () => {
    expect(patchOf({ custom_data: { a: 1, b: { c: [true] } } })).toEqual({ metadata: set({ a: 1, b: { c: [true] } }) });
    expect(patchOf({ custom_data: null })).toEqual({ metadata: clear });
  });

  it('patches address members one by one, zipCode as postal_code, and never touches the contact', () => {
    expect(patchOf({ address: { line1: '2 Side St', zipCode: '10001', line2: null } })).toEqual({
      address: merge({ line1: set('2 Side St'), postal_code: set('10001'), line2: clear }),
    });
    expect(patchOf({ address: null })).toEqual({ address: clear });
  });

  it('reads the country from country_code, or from a name (kept as given where it is not the usual one)', () => {
    expect(patchOf({ address: { country_code: 'gb' } })).toEqual({ address: merge({ country: set('GB') }) });
    expect(patchOf({ address: { country: 'Germany' } })).toEqual({ address: merge({ country: set('DE') }) });
    expect(patchOf({ address: { country: 'United States of America', country_code: 'US' } })).toEqual({
      address: merge({ country: set('US'), country_name: set('United States of America') }),
    });
    expect(patchOf({ address: { country: 'UK' } })).toEqual({ address: merge({ country: set('GB'), country_name: set('UK') }) });
    expect(patchOf({ address: { country: 'Viet Nam' } })).toEqual({
      address: merge({ country: set('VN'), country_name: set('Viet Nam') }),
    });
    // Text naming no country known is kept as given (Zenskar types country as a free string).
    expect(patchOf({ address: { country: 'Atlantis' } })).toEqual({ address: merge({ country: clear, country_name: set('Atlantis') }) });
    expect(patchOf({ address: { country: null, country_code: 'FR' } })).toEqual({
      address: merge({ country: set('FR'), country_name: clear }),
    });
    expect(patchOf({ address: { country: null } })).toEqual({ address: merge({ country: clear, country_name: clear }) });
    expect(patchOf({ address: { country: '', country_code: '' } })).toEqual({ address: merge({ country: clear, country_name: clear }) });
  });

  it('sets only the shipping address through ship_to_address', () => {
    expect(patchOf({ ship_to_address: { city: 'Paris', country_code: 'FR' } })).toEqual({
      shipping: merge({ address: merge({ city: set('Paris'), country: set('FR') }) }),
    });
    expect(patchOf({ ship_to_address: null })).toEqual({ shipping: merge({ address: clear }) });
  });

  it('maps tax_info to canonical tax ids and replaces the list', () => {
    expect(patchOf({ tax_info: [{ country_code: 'in', tax_code: 'GST', tax_id: '22AAAAA0000A1Z5' }, { tax_id: 'X1' }] })).toEqual({
      tax_ids: set([
        { type: 'GST', value: '22AAAAA0000A1Z5', country: 'IN' },
        { type: null, value: 'X1', country: null },
      ]),
    });
    expect(patchOf({ tax_info: [] })).toEqual({ tax_ids: set([]) });
    expect(patchOf({ tax_info: null })).toEqual({ tax_ids: clear });
  });

  it('maps connector, flags and business entity; null puts a flag back to its default', () => {
    expect(
      patchOf({
        connector: { name: 'stripe' },
        communications_enabled: false,
        auto_charge_enabled: null,
        business_entity_id: '0F8FAD5B-D9CB-469F-A165-70867728950E',
      }),
    ).toEqual({
      connector: set({ name: 'stripe', reference_id: null }),
      communications_enabled: set(false),
      auto_charge_enabled: clear,
      business_entity_id: set('0f8fad5b-d9cb-469f-a165-70867728950e'),
    });
  });

  it('ignores properties the seed does not name', () => {
    expect(patchOf({ customer_name: 'A', name: 'B', metadata: { x: 1 } })).toEqual({ name: set('A') });
  });

  it('renders the seed response with names for countries and every required property', () => {
    const shown = render(
      customer({
        name: 'Acme',
        external_id: 'crm-1',
        address,
        shipping: { name: 'Dock', phone: null, same_as_billing: false, address: { ...address, country: 'DE', line3: null } },
        tax_ids: [{ type: 'VAT', value: 'DE123', country: 'DE' }],
        metadata: { tier: 2 },
        business_entity_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
        communications_enabled: false,
      }),
    );
    expect(v.safeParse(CustomerResponseZenskar, shown).issues).toBeUndefined();
    expect(shown).toMatchObject({
      id: '3f2a1c9e-8d4b-4e6f-9a1b-2c3d4e5f6a7b',
      external_id: 'crm-1',
      customer_name: 'Acme',
      custom_data: { tier: 2 },
      address: { line1: '1 Main St', line3: 'Building C', zipCode: '62701', country: 'United States', country_code: 'US' },
      ship_to_address: { country: 'Germany', country_code: 'DE' },
      tax_info: [{ country_code: 'DE', tax_code: 'VAT', tax_id: 'DE123' }],
      communications_enabled: false,
      auto_charge_enabled: true,
    });
    expect(shown.address).not.toHaveProperty('email');
  });

  it('renders a nameless customer with a string name and null addresses', () => {
    const shown = render(customer());
    expect(shown).toMatchObject({ customer_name: '', address: null, ship_to_address: null, external_id: null, tax_info: [] });
    expect(v.safeParse(CustomerResponseZenskar, shown).issues).toBeUndefined();
  });

  it('shows the billing address as ship_to_address when shipping is "same as billing"', () => {
    const shown = render(customer({ address, shipping: { name: null, phone: null, same_as_billing: true, address: null } }));
    expect(shown.ship_to_address).toEqual(shown.address);
  });
});

describe('errors', () => {
  const issuesOf = (schema: typeof UpdateRequestZenskar | typeof CreateRequestZenskar, body: unknown) =>
    (v.safeParse(schema, body).issues ?? []).map((i) => ({ path: i.path?.map((p) => p.key), message: i.message }));

  it('reports every invalid property at once, with pydantic messages', () => {
    const issues = issuesOf(UpdateRequestZenskar, {
      external_id: 'x'.repeat(256),
      email: 'nope',
      business_entity_id: 'not-a-uuid',
      // pydantic's lax mode takes 'yes' (dialects/zenskar/params.ts); 'maybe' it cannot read.
      communications_enabled: 'maybe',
      custom_data: [1],
      tax_info: [{ country_code: 'ZZ' }],
      address: { country: 'Narnia', country_code: 'US' },
    });
    expect(issues).toEqual([
      { path: ['external_id'], message: 'String should have at most 255 characters' },
      { path: ['custom_data'], message: 'Input should be a valid dictionary' },
      { path: ['tax_info', 0, 'country_code'], message: expect.stringMatching(/^Value error, 'ZZ' is not a two-letter/) },
      { path: ['email'], message: expect.stringMatching(/^value is not a valid email address/) },
      { path: ['communications_enabled'], message: 'Input should be a valid boolean, unable to interpret input' },
      { path: ['business_entity_id'], message: 'Input should be a valid UUID' },
    ]);
  });

  it('takes a country name and code that disagree (the Zenskar API reference does not tie them)', () => {
    expect(issuesOf(UpdateRequestZenskar, { address: { country: 'France', country_code: 'US' } })).toEqual([]);
  });

  it('refuses a body or an address that is not an object', () => {
    expect(issuesOf(UpdateRequestZenskar, [])).toEqual([
      { path: undefined, message: 'Input should be a valid dictionary or object to extract fields from' },
    ]);
    expect(issuesOf(UpdateRequestZenskar, { address: ['1 Main St'] })).toEqual([
      { path: ['address'], message: 'Input should be a valid dictionary or object to extract fields from' },
    ]);
  });

  it('requires a customer_name string on create only', () => {
    expect(issuesOf(CreateRequestZenskar, { email: 'a@b.co' })).toEqual([{ path: ['customer_name'], message: expect.any(String) }]);
    expect(issuesOf(CreateRequestZenskar, { customer_name: null })).toEqual([
      { path: ['customer_name'], message: 'Input should be a valid string' },
    ]);
    expect(issuesOf(UpdateRequestZenskar, { email: 'a@b.co' })).toEqual([]);
  });

  it('renders validation issues as FastAPI detail entries', () => {
    const e = new GatewayError('invalid_request', 'x', {
      issues: [
        { path: ['email'], kind: 'format', message: "value is not a valid email address: 'nope' is not an email address." },
        { path: ['customer_name'], kind: 'missing', message: 'Invalid key' },
        { path: ['tax_info', 0, 'tax_id'], kind: 'type', message: 'Input should be a valid string' },
        { path: ['custom_data', '__proto__'], kind: 'unknown', message: 'Received unknown parameter: __proto__' },
      ],
    });
    expect(renderErrorZenskar(e)).toEqual({
      status: 422,
      body: {
        detail: [
          { loc: ['body', 'email'], msg: "value is not a valid email address: 'nope' is not an email address.", type: 'value_error' },
          { loc: ['body', 'customer_name'], msg: 'Field required', type: 'missing' },
          { loc: ['body', 'tax_info', 0, 'tax_id'], msg: 'Input should be a valid string', type: 'string_type' },
          { loc: ['body', 'custom_data', '__proto__'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
        ],
      },
    });
  });

  it('renders a refused header as a plain 400, and the rest in FastAPI and API Gateway shapes', () => {
    const header = new GatewayError('invalid_request', 'Unsupported apiversion', {
      issues: [{ path: ['header', 'apiversion'], kind: 'value', message: 'Unsupported apiversion' }],
    });
    expect(renderErrorZenskar(header)).toEqual({ status: 400, body: { detail: 'Unsupported apiversion' } });
    expect(renderErrorZenskar(new GatewayError('not_found', 'x'))).toEqual({ status: 404, body: { detail: 'Not Found' } });
    expect(renderErrorZenskar(new GatewayError('unauthenticated', 'x'))).toEqual({ status: 401, body: { message: 'Unauthorized' } });
    expect(renderErrorZenskar(new GatewayError('forbidden', 'x'))).toEqual({
      status: 403,
      body: { Message: 'User is not authorized to access this resource with an explicit deny' },
    });
    expect(renderErrorZenskar(new GatewayError('conflict', 'x', { field: 'external_id' })).status).toBe(409);
    expect(renderErrorZenskar(new GatewayError('malformed_body', 'x'))).toEqual({
      status: 422,
      body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] },
    });
  });
});
