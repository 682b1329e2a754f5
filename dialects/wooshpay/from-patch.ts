import type { CustomerPatch, ShippingOp } from '../../schemas/index.ts';
import type { Loss, Translation } from '../../src/contract/dialect.ts';
import { keepAccepted } from '../shared/translate-guard.ts';
import { addressValueParam, metadataParam, notCarried, textParam, addressParam } from '../stripe-like/index.ts';
import { UpdateRequestWooshpay } from './request.ts';

const title = 'Wooshpay';

/**
 * Wooshpay's shipping hash is sent whole (name and address required); the members it cannot show
 * are kept by the write, so a source that sets them differently loses them.
 */
function shippingParam(op: ShippingOp, losses: Loss[]): unknown {
  if (op.op === 'clear') return '';
  if (op.op === 'merge') {
    // A member-by-member change cannot be sent as a whole hash (the coverage table says so).
    return undefined;
  }
  const { name, phone, address, same_as_billing } = op.value;
  if (same_as_billing)
    losses.push({ field: 'shipping.same_as_billing', kind: 'unsupported', message: 'Wooshpay has no same-as-billing flag.' });
  if (name === null) losses.push({ field: 'shipping.name', kind: 'required', message: 'Wooshpay requires shipping[name] with shipping.' });
  for (const m of notCarried) {
    if (address?.[m])
      losses.push({
        field: `shipping.address.${m}`,
        kind: 'unsupported',
        message: `Stripe-like addresses have no ${m}; the stored one is kept.`,
      });
  }
  return { name: name ?? '', ...(phone ? { phone } : {}), address: addressValueParam(address) };
}

/** Canonical patch -> Wooshpay update body (only the fields Wooshpay writes, only values it accepts). */
export function fromPatch(patch: CustomerPatch): Translation {
  const body: Record<string, unknown> = {};
  const losses: Loss[] = [];
  for (const field of ['name', 'email', 'phone', 'description'] as const) {
    const op = patch[field];
    if (op) body[field] = textParam(op);
  }
  if (patch.address) body.address = addressParam(patch.address, 'address', losses);
  if (patch.metadata) body.metadata = metadataParam(patch.metadata, losses);
  if (patch.shipping) {
    const shipping = shippingParam(patch.shipping, losses);
    if (shipping !== undefined) body.shipping = shipping;
  }
  const fieldOf = (property: string) => property;
  return { body: keepAccepted(UpdateRequestWooshpay.entries, body, { title, fieldOf }, losses), losses };
}
