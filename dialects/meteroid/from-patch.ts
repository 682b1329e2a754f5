import * as v from 'valibot';
import type { CustomerPatch, FieldName } from '../../schemas/index.ts';
import type { Translation } from '../../src/contract/dialect.ts';
import { fromPatchOf, type SendCheck } from '../shared/lens.ts';
import { fieldsMeteroid, isWhole } from './fields.ts';

// Canonical patch -> Meteroid update body, from the field table (fields.ts). Clearing a scalar,
// writing a field Meteroid lacks and merging into an object it replaces are reported by the
// coverage table (src/gateway/translate.ts); the losses here are the ones only Meteroid's wire form causes.

/** Every value is checked against Meteroid's own schema, so the body is never refused. */
const accepted: SendCheck = (wire, m, value, losses) => {
  const result = m.param ? v.safeParse(m.param, value) : undefined;
  if (!result || result.success) return true;
  losses.push({
    field: m.at ?? m.field ?? wire,
    kind: 'inexpressible',
    message: `Meteroid refuses this ${wire} (${result.issues[0].message}); it is left out.`,
  });
  return false;
};

const fromTable = fromPatchOf(fieldsMeteroid, accepted);

/** Canonical patch -> Meteroid update body (only the fields Meteroid writes). */
export function fromPatch(patch: CustomerPatch): Translation & { body: Record<string, unknown> } {
  const exact: FieldName[] = isWhole(patch.address) ? ['address'] : [];
  return { ...fromTable(patch), exact };
}
