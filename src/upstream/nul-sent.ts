import type { CustomerFields, FieldName } from '../../schemas/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { walkFor } from './answer-checks.ts';
import { carriedFields, type Uncarried } from './fidelity.ts';

// The gateway stores a NUL character in a value (JSON text, on every backend), but takes no
// provider answer holding one (client.ts, answerProblem). A proxied write sending one would be
// committed at the provider and then answered 502, and so would every later write of the
// customer, whose answers show it: refused before anything is sent instead, as every other value
// the answer check refuses.

const nul = (text: string) => (text.includes('\u0000') ? 'a NUL character' : undefined);
/** A NUL in any value or key, however deep (the answer checks' walk, without their other checks). */
const holdsNul = (value: unknown): boolean => walkFor({ text: nul, key: nul }, value, 0) !== undefined;

/** The fields a write sends the provider (`touched`; a create: every field) that hold a NUL. */
export function nulSent(
  dialect: AnyDialect,
  write: { readonly after: CustomerFields; readonly touched: readonly FieldName[] },
  create: boolean,
): Uncarried[] {
  return carriedFields(dialect, write.touched, write.after, create)
    .filter((field) => holdsNul(write.after[field]))
    .map((field) => ({
      field,
      message: 'it holds a NUL character, which the provider would show in its answers and this gateway takes from no provider',
    }));
}
