import { type Address, type AddressOp, type FieldOp, type MetadataOp, metadataText } from '../../schemas/index.ts';
import type { Loss } from '../../src/contract/dialect.ts';

// Canonical operations in Stripe's wire form ("" clears): the inverse of mapping.ts, shared by the
// Stripe-like dialects for translation.

export const textParam = (op: FieldOp<string>): string => (op.op === 'set' ? op.value : '');

const members = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;
/** Members a Stripe-like address cannot show; a write through it keeps them as they are. */
export const notCarried = ['line3', 'email', 'phone', 'country_name'] as const;

export function addressParam(op: AddressOp, field: string, losses: Loss[]): '' | Record<string, string> {
  if (op.op === 'clear') return '';
  const out: Record<string, string> = {};
  if (op.op === 'set') {
    // Stripe patches address members; sending every member ("" for the empty ones) replaces it.
    for (const m of members) out[m] = op.value[m] ?? '';
    for (const m of notCarried) {
      if (op.value[m]) losses.push({ field: `${field}.${m}`, kind: 'unsupported', message: `Stripe-like addresses have no ${m}.` });
    }
    return out;
  }
  for (const m of members) {
    const memberOp = op.value[m];
    if (memberOp) out[m] = memberOp.op === 'set' ? memberOp.value : '';
  }
  for (const m of notCarried) {
    if (op.value[m]) losses.push({ field: `${field}.${m}`, kind: 'unsupported', message: `Stripe-like addresses have no ${m}.` });
  }
  return out;
}

export function addressValueParam(address: Address | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of members) {
    const value = address?.[m];
    if (value) out[m] = value;
  }
  return out;
}

/** Metadata ops as Stripe metadata: values become strings. */
export function metadataParam(op: MetadataOp, losses: Loss[]): '' | Record<string, string> {
  if (op.op === 'clear') return '';
  const out: Record<string, string> = {};
  const entries =
    op.op === 'set' ? Object.entries(op.value).map(([k, v]) => [k, { op: 'set', value: v }] as const) : Object.entries(op.value);
  let stringified = false;
  for (const [key, keyOp] of entries) {
    if (keyOp.op === 'clear') out[key] = '';
    else {
      if (typeof keyOp.value !== 'string') stringified = true;
      out[key] = metadataText(keyOp.value);
    }
  }
  if (op.op === 'set') {
    losses.push({
      field: 'metadata',
      kind: 'inexpressible',
      message: 'Stripe-like metadata merges by key: keys not named in the source are kept, not removed.',
    });
  }
  if (stringified)
    losses.push({
      field: 'metadata',
      kind: 'lossy',
      message: 'Stripe-like metadata values are strings: other values are sent as JSON text.',
    });
  return out;
}
