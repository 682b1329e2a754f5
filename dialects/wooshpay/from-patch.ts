import type { CustomerPatch } from '../../schemas/index.ts';
import type { Loss, Translation } from '../../src/contract/dialect.ts';
import { addressParam, addressValueParam, metadataParam, textParam } from '../stripe-like/index.ts';

/** Canonical patch -> Wooshpay update body (only the fields Wooshpay writes). */
export function fromPatch(patch: CustomerPatch): Translation {
  const body: Record<string, unknown> = {};
  const losses: Loss[] = [];
  for (const field of ['name', 'email', 'phone', 'description'] as const) {
    const op = patch[field];
    if (op) body[field] = textParam(op);
  }
  if (patch.address) body.address = addressParam(patch.address, 'address', losses);
  if (patch.metadata) body.metadata = metadataParam(patch.metadata, losses);
  const shipping = patch.shipping;
  if (shipping?.op === 'clear') body.shipping = '';
  if (shipping?.op === 'set') {
    const { name, phone, address, same_as_billing } = shipping.value;
    if (same_as_billing)
      losses.push({ field: 'shipping.same_as_billing', kind: 'unsupported', message: 'Wooshpay has no same-as-billing flag.' });
    if (name === null)
      losses.push({ field: 'shipping.name', kind: 'required', message: 'Wooshpay requires shipping[name] with shipping.' });
    body.shipping = { name: name ?? '', ...(phone ? { phone } : {}), address: addressValueParam(address) };
    for (const m of ['line3', 'email', 'phone'] as const) {
      if (address?.[m])
        losses.push({ field: `shipping.address.${m}`, kind: 'unsupported', message: `Stripe-like addresses have no ${m}.` });
    }
  }
  return { body, losses };
}
