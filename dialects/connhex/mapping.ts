import { type Customer, type CustomerPatch, clear, set } from '../../schemas/index.ts';
import type { RenderContext } from '../../src/contract/dialect.ts';
import { type AddressStripe, commonPatch, renderAddress, textOp, unixSeconds } from '../stripe-like/index.ts';
import type { UpdateRequestConnhex } from './request.ts';

/** Connhex body -> canonical patch: absent unchanged, "" clears (Stripe's rules). */
export function toPatch(body: UpdateRequestConnhex): CustomerPatch {
  const patch = commonPatch(body);
  if (body.invoice_prefix !== undefined) patch.invoice_prefix = textOp(body.invoice_prefix);
  if (body.next_invoice_sequence !== undefined) patch.next_invoice_sequence = set(body.next_invoice_sequence);
  // "" resets to Stripe's default, none.
  if (body.tax_exempt !== undefined) patch.tax_exempt = body.tax_exempt === '' ? clear : set(body.tax_exempt);
  if (body.preferred_locales !== undefined) {
    patch.preferred_locales = body.preferred_locales === '' ? clear : set(body.preferred_locales);
  }
  return patch;
}

/** Stripe's list object; there is no subscription store, so it is always empty. */
export interface SubscriptionListConnhex {
  object: 'list';
  data: never[];
  has_more: false;
  total_count: 0;
  url: string;
}

/** Seed 001's response: exactly its properties. */
export interface CustomerConnhex {
  id: string;
  address: AddressStripe | null;
  created: number;
  delinquent: boolean;
  email: string | null;
  name: string | null;
  phone: string | null;
  /** null unless `expand[]=subscriptions` asked for the list. */
  subscriptions: SubscriptionListConnhex | null;
}

export function render(c: Customer, ctx: RenderContext): CustomerConnhex {
  const subscriptions: SubscriptionListConnhex | null = ctx.expand.includes('subscriptions')
    ? { object: 'list', data: [], has_more: false, total_count: 0, url: `/customers/${c.public_id}/subscriptions` }
    : null;
  return {
    id: c.public_id,
    address: renderAddress(c.address),
    created: unixSeconds(c.created_at),
    delinquent: c.delinquent,
    email: c.email,
    name: c.name,
    phone: c.phone,
    subscriptions,
  };
}
