import { type Customer, type CustomerPatch, clear, merge, metadataText, type ShippingOp } from '../../schemas/index.ts';
import type { RenderContext } from '../../src/contract/dialect.ts';
import { type AddressStripe, addressOp, commonPatch, metadataOp, renderAddress, textOp, unixSeconds } from '../stripe-like/index.ts';
import type { UpdateRequestWooshpay } from './request.ts';

const shippingMembers = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;

/**
 * Stripe replaces the shipping hash whole, so every member it can show is set or cleared; the
 * members it cannot (line3, a contact email and phone, a country name) are kept, and whether the
 * address is still the billing address is apply-patch's to say (it is, if nothing changed).
 */
function shippingOp(param: NonNullable<UpdateRequestWooshpay['shipping']>): ShippingOp {
  if (param === '') return clear;
  const given = param.address === '' ? {} : (param.address ?? {});
  const address = Object.fromEntries(shippingMembers.map((m) => [m, given[m] ?? '']));
  return merge({
    name: textOp(param.name ?? ''),
    phone: textOp(param.phone ?? ''),
    address: addressOp(address),
  });
}

/** Wooshpay body -> canonical patch: absent unchanged, "" clears. */
export function toPatch(body: UpdateRequestWooshpay): CustomerPatch {
  const patch = commonPatch(body);
  if (body.shipping !== undefined) patch.shipping = shippingOp(body.shipping);
  if (body.metadata !== undefined) patch.metadata = metadataOp(body.metadata);
  return patch;
}

export interface CustomerWooshpay {
  id: string;
  object: 'customer';
  address: AddressStripe | null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: string | null;
  delinquent: boolean;
  description: string | null;
  discount: null;
  email: string | null;
  invoice_prefix: string | null;
  invoice_settings: { custom_fields: null; default_payment_method: null; footer: null };
  livemode: boolean;
  metadata: Record<string, string>;
  name: string | null;
  next_invoice_sequence: number | null;
  phone: string | null;
  preferred_locales: string[];
  shipping: { address: AddressStripe | null; name: string | null; phone: string | null } | null;
  tax_exempt: string;
  test_clock: null;
  tax_ids?: string[];
  cash_balance?: Record<string, unknown>;
  sources?: string[];
  tax?: Record<string, unknown>;
}

/** Stripe metadata values are strings: a value stored through Zenskar's custom_data is shown as one. */
function metadataStrings(metadata: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) out[key] = metadataText(value);
  return out;
}

export function render(c: Customer, ctx: RenderContext): CustomerWooshpay {
  const shippingAddress = c.shipping?.same_as_billing ? c.address : (c.shipping?.address ?? null);
  const out: CustomerWooshpay = {
    id: c.public_id,
    object: 'customer',
    address: renderAddress(c.address),
    balance: Math.round(c.balance),
    created: unixSeconds(c.created_at),
    currency: c.currency.toLowerCase(),
    default_source: null,
    delinquent: c.delinquent,
    description: c.description,
    discount: null,
    email: c.email,
    invoice_prefix: c.invoice_prefix,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null },
    livemode: ctx.principal.livemode,
    metadata: metadataStrings(c.metadata),
    name: c.name,
    next_invoice_sequence: c.next_invoice_sequence,
    phone: c.phone,
    preferred_locales: c.preferred_locales,
    shipping: c.shipping ? { address: renderAddress(shippingAddress), name: c.shipping.name, phone: c.shipping.phone } : null,
    tax_exempt: c.tax_exempt,
    test_clock: null,
  };
  for (const path of ctx.expand) {
    if (path === 'tax_ids') out.tax_ids = c.tax_ids.flatMap((t) => (t.value === null ? [] : [t.value]));
    if (path === 'sources') out.sources = [];
    if (path === 'tax') out.tax = { automatic_tax: 'unrecognized_location', ip_address: null, location: null };
    if (path === 'cash_balance') {
      out.cash_balance = {
        object: 'cash_balance',
        available: {},
        customer: c.public_id,
        livemode: ctx.principal.livemode,
        settings: { reconciliation_mode: 'auto', using_merchant_default: true },
      };
    }
  }
  return out;
}
