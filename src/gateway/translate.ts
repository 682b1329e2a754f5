import type { CustomerPatch, FieldName } from '../../schemas/index.ts';
import type { AnyDialect, Loss } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { inWords, validate } from '../contract/validate.ts';

export interface TranslateResult {
  readonly from: string;
  readonly to: string;
  /** The equivalent update body in the target dialect. */
  readonly body: Record<string, unknown>;
  readonly losses: readonly Loss[];
}

/** The dialect of `all` named `name`, or an invalid_request naming the ones there are. */
export function dialectNamed(all: readonly AnyDialect[], name: string | undefined, role: 'from' | 'to'): AnyDialect {
  const dialect = all.find((d) => d.name === name);
  if (!dialect) {
    const names = all.map((d) => d.name).join(', ');
    throw new GatewayError('invalid_request', `Unknown dialect '${name ?? ''}' for ${role}: use one of ${names}.`, {
      issues: [{ path: ['query', role], kind: 'value', message: `one of ${names}`, value: name }],
    });
  }
  return dialect;
}

/** Losses the target's coverage table implies: fields it cannot write, operations it cannot express. */
function coverageLosses(target: AnyDialect, patch: CustomerPatch, exact: readonly FieldName[]): Loss[] {
  const losses: Loss[] = [];
  for (const field of Object.keys(patch) as FieldName[]) {
    const op = patch[field];
    const coverage = target.translation.coverage[field];
    if (!op) continue;
    if (!coverage?.write) {
      losses.push({ field, kind: 'unsupported', message: `${target.title} cannot write ${field}; it is left out.` });
    } else if (op.op === 'clear' && !coverage.write.clear) {
      losses.push({ field, kind: 'inexpressible', message: `${target.title} cannot clear ${coverage.as}; it is left out.` });
    } else if (op.op === 'merge' && coverage.write.mode === 'replace' && !exact.includes(field)) {
      losses.push({
        field,
        kind: 'inexpressible',
        message: `${target.title} replaces ${coverage.as} whole, so a member-by-member change cannot be expressed exactly.`,
      });
    }
  }
  return losses;
}

/** A canonical patch in the target's wire form, with every loss on the way. */
export function patchToDialect(target: AnyDialect, patch: CustomerPatch): { body: Record<string, unknown>; losses: Loss[] } {
  const translated = target.translation.fromPatch(patch);
  const covered = coverageLosses(target, patch, translated.exact ?? []);
  // Only what the coverage already says is dropped: the translation's own losses of one field each
  // say something else (Stripe's metadata merges by key, and its key "" is not sent).
  const said = (loss: Loss) => covered.some((l) => l.field === loss.field && l.kind === loss.kind);
  return { body: translated.body, losses: [...covered, ...translated.losses.filter((loss) => !said(loss))] };
}

/** A source body's refusal, each unknown or missing member named in words (src/contract/validate.ts, inWords). */
function sourceRefusal(from: AnyDialect, error: unknown): unknown {
  if (!(error instanceof GatewayError)) return error;
  const issues = (error.details.issues ?? []).map((issue) => inWords(issue, `a ${from.title} update`));
  return new GatewayError(error.code, issues[0]?.message ?? error.message, { ...error.details, issues });
}

/** An update body in one dialect -> the equivalent update body in another, and what was lost. */
export function translate(from: AnyDialect, to: AnyDialect, raw: unknown): TranslateResult {
  let body: unknown;
  try {
    body = validate(from.wire.request.update, raw);
  } catch (error) {
    throw sourceRefusal(from, error);
  }
  // A body into its own dialect means what it says there: carrying it through the canonical
  // patch could only add losses the body does not have.
  if (from.name === to.name) return { from: from.name, to: to.name, body: raw as Record<string, unknown>, losses: [] };
  const patch = from.translation.updatePatch(body);
  const { body: translated, losses } = patchToDialect(to, patch);
  return { from: from.name, to: to.name, body: translated, losses };
}
