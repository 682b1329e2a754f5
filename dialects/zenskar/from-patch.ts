import type { Address, AddressOp, CustomerPatch, FieldOp } from '../../schemas/index.ts';
import type { Loss, Translation } from '../../src/contract/dialect.ts';

// Canonical patch -> Zenskar update body: null clears; addresses patch member by member.

const text = (op: FieldOp<string>): string | null => (op.op === 'set' ? op.value : null);

const members = [
  ['line1', 'line1'],
  ['line2', 'line2'],
  ['line3', 'line3'],
  ['city', 'city'],
  ['state', 'state'],
  ['postal_code', 'zipCode'],
  ['country', 'country_code'],
  // The name as given; absent beside a code, the name given before for that country stays.
  ['country_name', 'country'],
] as const satisfies readonly (readonly [keyof Address, string])[];

function contactLosses(field: string, present: (m: 'email' | 'phone') => boolean, losses: Loss[]): void {
  for (const m of ['email', 'phone'] as const) {
    if (present(m)) losses.push({ field: `${field}.${m}`, kind: 'unsupported', message: `Zenskar addresses have no contact ${m}.` });
  }
}

function addressParam(op: AddressOp, field: string, losses: Loss[]): Record<string, string | null> | null {
  if (op.op === 'clear') return null;
  const out: Record<string, string | null> = {};
  if (op.op === 'set') {
    for (const [from, to] of members) out[to] = op.value[from] ?? null;
    contactLosses(field, (m) => Boolean(op.value[m]), losses);
    return out;
  }
  for (const [from, to] of members) {
    const memberOp = op.value[from];
    if (memberOp) out[to] = text(memberOp);
  }
  contactLosses(field, (m) => op.value[m] !== undefined, losses);
  return out;
}

export function fromPatch(patch: CustomerPatch): Translation {
  const body: Record<string, unknown> = {};
  const losses: Loss[] = [];
  if (patch.external_id) body.external_id = text(patch.external_id);
  if (patch.name) body.customer_name = text(patch.name);
  if (patch.phone) body.phone_number = text(patch.phone);
  if (patch.email) body.email = text(patch.email);
  if (patch.business_entity_id) body.business_entity_id = text(patch.business_entity_id);
  for (const flag of ['communications_enabled', 'auto_charge_enabled'] as const) {
    const op = patch[flag];
    if (op) body[flag] = op.op === 'set' ? op.value : null;
  }
  if (patch.connector) body.connector = patch.connector.op === 'set' ? patch.connector.value : null;
  // custom_data and tax_info are replaced whole: a key-by-key change would drop the keys not named,
  // so it is left out (the loss report says so) rather than sent.
  if (patch.metadata && patch.metadata.op !== 'merge') body.custom_data = patch.metadata.op === 'set' ? patch.metadata.value : null;
  if (patch.tax_ids && patch.tax_ids.op !== 'merge') {
    body.tax_info =
      patch.tax_ids.op === 'set' ? patch.tax_ids.value.map((t) => ({ country_code: t.country, tax_code: t.type, tax_id: t.value })) : null;
  }
  if (patch.address) body.address = addressParam(patch.address, 'address', losses);
  const shipping = patch.shipping;
  if (shipping) {
    // ship_to_address is only the shipping address: writing it ends "same as billing" and keeps
    // the recipient's name and phone as they are, whatever the source asked of them.
    const address =
      shipping.op === 'clear'
        ? { op: 'clear' as const }
        : shipping.op === 'set'
          ? ({ op: 'set', value: shipping.value.address } as const)
          : shipping.value.address;
    if (address) {
      body.ship_to_address =
        address.op === 'set' && address.value === null ? null : addressParam(address as AddressOp, 'shipping.address', losses);
      losses.push({
        field: 'shipping.same_as_billing',
        kind: 'lossy',
        message: 'Writing a changed ship_to_address through Zenskar ends "same as billing".',
      });
      losses.push({
        field: 'shipping.address',
        kind: 'lossy',
        message: 'Zenskar shows a same-as-billing shipping address as the billing address: one written as that is kept as it was.',
      });
    } else if (shipping.op === 'merge' && shipping.value.same_as_billing) {
      losses.push({ field: 'shipping.same_as_billing', kind: 'unsupported', message: 'Zenskar has no "same as billing" flag.' });
    }
    const named = shipping.op === 'merge' ? (['name', 'phone'] as const).filter((m) => shipping.value[m]) : (['name', 'phone'] as const);
    for (const m of named)
      losses.push({ field: `shipping.${m}`, kind: 'unsupported', message: `Zenskar has no shipping ${m}; it is kept as it is.` });
  }
  return { body, losses };
}
