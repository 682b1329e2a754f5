import { type CustomerPatch, type FieldName, fieldNames } from '../../schemas/index.ts';
import type { ClientWrite, Coverage, CoverageField, FieldCoverage, Translation } from '../../src/contract/dialect.ts';
import { entriesOf } from './lens.ts';
import { type FieldTable, none } from './lens-members.ts';

// What a field table says about the provider as a whole, read once when a dialect is built: the
// coverage matrix, the fields its client half reads back, and the changes it cannot carry.

/**
 * The client half's `cannotCarry`: each change asking an operation its member declares `unsent`;
 * each clear of a member the provider cannot clear, where there is a value to clear; and, given the
 * client half's translation, every change it reports it cannot express.
 */
export function cannotCarryOf(table: FieldTable, fromPatch?: (patch: CustomerPatch) => Translation) {
  const unsent = entriesOf(table).flatMap(([, m]) =>
    m.field !== null && m.unsent?.length ? [[m.field, m.unsent as readonly string[]] as const] : [],
  );
  const unclearable = entriesOf(table).flatMap(([, m]) =>
    m.write?.clear === false && !m.clearLeftOut && m.field !== null && isField(m.field) ? [m.field] : [],
  );
  return (write: ClientWrite): string[] => {
    const ops = write.patch as Readonly<Record<string, { readonly op: string } | undefined>>;
    const declared = unsent.flatMap(([field, asked]) => (asked.includes(ops[field]?.op ?? '') ? [field] : []));
    const fields = unclearable.filter((f) => write.patch[f]?.op === 'clear' && (write.current === undefined || write.current[f] !== null));
    const inexpressible = fromPatch
      ? fromPatch(write.patch)
          .losses.filter((l) => l.kind === 'inexpressible')
          .map((l) => l.field)
      : [];
    return [...new Set<string>([...declared, ...fields, ...inexpressible])];
  };
}

const isField = (field: CoverageField): field is FieldName => (fieldNames as readonly string[]).includes(field);

/** The canonical fields the client half reads back, in the coverage matrix's order. */
export function readsOf(table: FieldTable): FieldName[] {
  const read = new Set(entriesOf(table).flatMap(([, m]) => (m.field !== null && m.parse !== none ? [m.field] : [])));
  return coverageOrder.filter((f): f is FieldName => read.has(f) && isField(f));
}

/** Every coverage field in the matrix's order: the identifiers, the canonical fields, the provider's own state. */
const coverageOrder: readonly CoverageField[] = [
  'uuid',
  'public_id',
  'number',
  ...fieldNames,
  'livemode',
  'delinquent',
  'balance',
  'created_at',
  'updated_at',
];

/** The coverage table: each field as its member carries it, null where no member does. */
export function coverageOf(table: FieldTable): Coverage {
  const coverage = Object.fromEntries(coverageOrder.map((f) => [f, null])) as Record<CoverageField, FieldCoverage | null>;
  for (const [wire, m] of entriesOf(table)) {
    if (m.field === null) continue;
    coverage[m.field] = {
      as: m.as ?? wire,
      read: m.render !== undefined,
      write: m.write,
      ...(m.note ? { note: m.note } : {}),
      ...(m.members ? { members: m.members } : {}),
    };
  }
  return coverage;
}
