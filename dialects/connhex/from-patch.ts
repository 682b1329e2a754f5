import type { CustomerPatch, FieldOp } from '../../schemas/index.ts';
import type { Loss, Translation } from '../../src/contract/dialect.ts';
import { keepAccepted } from '../shared/translate-guard.ts';
import { addressParam, textParam } from '../stripe-like/index.ts';
import { UpdateRequestConnhex } from './request.ts';

const title = 'Connhex';

/** Stripe's "" is a clear, so a value set to "" cannot survive the trip. */
function text(op: FieldOp<string>, field: string, losses: Loss[]): string {
  if (op.op === 'set' && op.value === '') {
    losses.push({ field, kind: 'lossy', message: `${title} reads "" as a clear: ${field} is cleared, not set to "".` });
  }
  return textParam(op);
}

/**
 * Canonical patch -> Connhex update body (only the fields Connhex writes). Its parameters carry the
 * canonical names, so each property is its own field in the loss report.
 */
export function fromPatch(patch: CustomerPatch): Translation {
  const body: Record<string, unknown> = {};
  const losses: Loss[] = [];
  for (const field of ['name', 'email', 'phone', 'description', 'invoice_prefix'] as const) {
    const op = patch[field];
    if (op) body[field] = text(op, field, losses);
  }
  if (patch.address) body.address = addressParam(patch.address, 'address', losses);
  // A clear cannot be sent (the coverage reports it): Connhex refuses "" here.
  if (patch.next_invoice_sequence?.op === 'set') body.next_invoice_sequence = patch.next_invoice_sequence.value;
  // "" resets to none, which is also the canonical default.
  const taxExempt = patch.tax_exempt;
  if (taxExempt?.op === 'exempt') {
    body.tax_exempt = 'exempt';
    losses.push({
      field: 'tax_exempt',
      kind: 'lossy',
      message: `${title} has no "exempt of either kind": it is sent as exempt, which turns a reverse charge into exempt.`,
    });
  } else if (taxExempt) body.tax_exempt = taxExempt.op === 'set' ? taxExempt.value : '';
  if (patch.preferred_locales) {
    body.preferred_locales = patch.preferred_locales.op === 'set' ? [...patch.preferred_locales.value] : '';
  }
  return { body: keepAccepted(UpdateRequestConnhex.entries, body, { title, fieldOf: (p) => p }, losses), losses };
}
