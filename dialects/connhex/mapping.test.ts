import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type Customer, clear, fieldDefaults, merge, set, stateDefaults } from '../../schemas/index.ts';
import { GatewayError, type Principal, type RequestView } from '../../src/contract/dialect.ts';
import { ClaimsConnhex, permitsConnhex, principalConnhex } from './auth.ts';
import { connhex } from './index.ts';
import { render, toPatch } from './mapping.ts';
import { UpdateRequestConnhex } from './request.ts';
import { CustomerResponseConnhex } from './seed-response.ts';

const parse = (body: unknown) => v.parse(UpdateRequestConnhex, body);
const firstIssue = (body: unknown) => {
  const issue = v.safeParse(UpdateRequestConnhex, body).issues?.[0];
  return { path: issue?.path?.map((p: { key: unknown }) => p.key).join('.'), message: issue?.message };
};

const customer: Customer = {
  ...fieldDefaults,
  ...stateDefaults,
  uuid: '7f1c5bde-52c4-4c0a-8a57-4b1d3c8c8f10',
  public_id: 'cus_Q1w2E3r4T5y6U7',
  number: 1,
  version: 3,
  created_at: '2026-01-02T03:04:05.678Z',
  updated_at: '2026-01-02T03:04:05.678Z',
  name: 'Jenny Rosen',
  phone: '+15555550123',
  invoice_prefix: 'JENNY42',
  tax_exempt: 'reverse',
  address: {
    line1: '510 Townsend St',
    line2: null,
    line3: 'c/o Reception',
    city: 'San Francisco',
    state: 'CA',
    postal_code: '94103',
    country: 'US',
    email: 'billing@example.com',
    phone: null,
  },
};
const principal: Principal = { tenantId: 't', credentialId: 'jwt:x', livemode: false };

describe('connhex mapping: happy', () => {
  it('leaves absent parameters out of the patch', () => {
    expect(toPatch(parse({}))).toEqual({});
    expect(Object.keys(toPatch(parse({ name: 'A' })))).toEqual(['name']);
  });

  it('maps every Connhex parameter to its canonical field', () => {
    const patch = toPatch(
      parse({
        name: 'Jenny',
        email: 'jenny@example.com',
        phone: '+1555',
        description: 'Gold',
        invoice_prefix: 'JR2026',
        next_invoice_sequence: 42,
        preferred_locales: ['en', 'fr-CA'],
        tax_exempt: 'reverse',
        address: { city: 'Paris', country: 'fr' },
        expand: ['subscriptions'],
      }),
    );
    expect(patch).toEqual({
      name: set('Jenny'),
      email: set('jenny@example.com'),
      phone: set('+1555'),
      description: set('Gold'),
      invoice_prefix: set('JR2026'),
      next_invoice_sequence: set(42),
      preferred_locales: set(['en', 'fr-CA']),
      tax_exempt: set('reverse'),
      address: merge({ city: set('Paris'), country: set('FR') }),
    });
  });

  it('clears with "" as Stripe does', () => {
    const patch = toPatch(
      parse({ name: '', phone: '', email: '', invoice_prefix: '', tax_exempt: '', preferred_locales: '', address: '' }),
    );
    for (const field of ['name', 'phone', 'email', 'invoice_prefix', 'tax_exempt', 'preferred_locales', 'address'] as const) {
      expect(patch[field]).toMatchObject(clear);
    }
  });

  it('takes next_invoice_sequence as digits, since form bodies carry only strings', () => {
    expect(toPatch(parse({ next_invoice_sequence: '12' })).next_invoice_sequence).toEqual(set(12));
  });

  it('renders every property of the seed response, and only those', () => {
    const shown = render(customer, { expand: [], principal });
    expect(v.safeParse(CustomerResponseConnhex, shown).issues).toBeUndefined();
    expect(Object.keys(shown).sort()).toEqual(['address', 'created', 'delinquent', 'email', 'id', 'name', 'phone', 'subscriptions']);
    expect(shown).toMatchObject({ id: 'cus_Q1w2E3r4T5y6U7', created: 1767323045, delinquent: false, email: null, subscriptions: null });
    expect(shown.address).toEqual({
      line1: '510 Townsend St',
      line2: null,
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94103',
      country: 'US',
    });
  });

  it('expands subscriptions to an empty Stripe list', () => {
    const shown = render(customer, { expand: ['subscriptions'], principal });
    expect(shown.subscriptions).toEqual({
      object: 'list',
      data: [],
      has_more: false,
      total_count: 0,
      url: '/customers/cus_Q1w2E3r4T5y6U7/subscriptions',
    });
  });
});

describe('connhex mapping: errors', () => {
  it("names invoice_prefix first for the reference's own example body", () => {
    const seed = {
      address: { city: 'string', country: 'string', line1: 'string', line2: 'string', postal_code: 'string', state: 'string' },
      description: 'string',
      email: 'string',
      invoice_prefix: 'string',
      next_invoice_sequence: 0,
      name: 'string',
      phone: 'string',
      preferred_locales: ['string'],
      tax_exempt: 'exempt',
      expand: ['string'],
    };
    expect(firstIssue(seed).path).toBe('invoice_prefix');
  });

  it.each([['abc'], ['TOOLONGPREFIX1'], ['AB'], ['AB-1']])('refuses invoice_prefix %j', (prefix) => {
    expect(firstIssue({ invoice_prefix: prefix }).path).toBe('invoice_prefix');
  });

  it.each([[0], [-3], [1.5], ['x1'], ['0'], [true]])('refuses next_invoice_sequence %j', (n) => {
    expect(firstIssue({ next_invoice_sequence: n }).path).toBe('next_invoice_sequence');
  });

  it('refuses to unset next_invoice_sequence, an unknown tax_exempt, an unknown expand path and unknown parameters', () => {
    expect(firstIssue({ next_invoice_sequence: '' })).toEqual({
      path: 'next_invoice_sequence',
      message: 'next_invoice_sequence cannot be unset.',
    });
    expect(firstIssue({ tax_exempt: 'partial' }).path).toBe('tax_exempt');
    expect(firstIssue({ expand: ['tax_ids'] }).path).toBe('expand.0');
    expect(firstIssue({ metadata: { a: 'b' } }).path).toBe('metadata');
    expect(firstIssue({ next_invoice_sequence: null }).path).toBe('next_invoice_sequence');
    expect(firstIssue({ preferred_locales: [42] }).path).toBe('preferred_locales');
  });
});

describe('connhex permissions: security', () => {
  const req: RequestView = { method: 'POST', header: () => undefined };
  // As the gateway hands them on: checked against ClaimsConnhex, defaults filled in.
  const jwt = (claims: Record<string, unknown>) =>
    ({ type: 'jwt', tenantId: 'tenant-1', claims: v.parse(ClaimsConnhex, { sub: 'svc', tenant: 'tenant-1', ...claims }) }) as const;

  it('allows an action named exactly or by a wildcard', () => {
    expect(permitsConnhex({ permissions: ['pay:customers:update'], deny: [] }, 'pay:customers:update')).toBe(true);
    expect(permitsConnhex({ permissions: ['pay:customers:*'], deny: [] }, 'pay:customers:get')).toBe(true);
    expect(permitsConnhex({ permissions: ['pay:*'], deny: [] }, 'pay:customers:update')).toBe(true);
    expect(permitsConnhex({ permissions: ['pay:customers:get'], deny: [] }, 'pay:customers:update')).toBe(false);
    expect(permitsConnhex({ permissions: ['pay:customers'], deny: [] }, 'pay:customers:update')).toBe(false);
    // Regex characters in a pattern are literal.
    expect(permitsConnhex({ permissions: ['pay.customers.*'], deny: [] }, 'pay:customers:update')).toBe(false);
  });

  it('lets an explicit deny win over any allow', () => {
    expect(permitsConnhex({ permissions: ['*'], deny: ['pay:customers:update'] }, 'pay:customers:update')).toBe(false);
    expect(permitsConnhex({ permissions: ['pay:customers:update'], deny: ['pay:*'] }, 'pay:customers:update')).toBe(false);
    expect(permitsConnhex({ permissions: ['*'], deny: ['pay:customers:update'] }, 'pay:customers:get')).toBe(true);
  });

  it('maps the tenant claim to the principal and checks the action', () => {
    const verified = jwt({ permissions: ['pay:customers:get'] });
    expect(principalConnhex(verified, req, 'read')).toEqual({ tenantId: 'tenant-1', credentialId: 'jwt:svc', livemode: false });
    const update = principalConnhex(verified, req, 'update');
    expect(update).toBeInstanceOf(GatewayError);
    expect((update as GatewayError).code).toBe('forbidden');
    expect((principalConnhex(verified, req, 'create') as GatewayError).code).toBe('forbidden');
  });

  it('claims root /customers requests by an Authorization header without x-api-key (Zenskar sends that)', () => {
    const view = (headers: Record<string, string>): RequestView => ({ method: 'GET', header: (name) => headers[name] });
    expect(connhex.auth.ownsRequest(view({ authorization: 'Bearer a.b.c' }))).toBe(true);
    expect(connhex.auth.ownsRequest(view({ authorization: 'Bearer a.b.c', 'x-api-key': 'k' }))).toBe(false);
    expect(connhex.auth.ownsRequest(view({ 'x-api-key': 'k' }))).toBe(false);
    expect(connhex.auth.ownsRequest(view({}))).toBe(false);
  });
});
