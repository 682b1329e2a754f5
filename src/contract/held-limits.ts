import * as v from 'valibot';
import { GatewayError, type Issue } from './errors.ts';

// A provider's own limit (Stripe's 500-character metadata values, Connhex's 256-character name) is
// narrower than what another dialect may write: a customer written elsewhere can hold a longer
// value, and the usual read-modify-write through this dialect sends it back unchanged. A limit
// applies to what a write changes (docs/seams.md, "A dialect's limits bind what a write changes"):
// an update may send back what the customer holds, as this dialect shows it, and a changed or new
// value is refused as before. The schema alone cannot tell (it runs before the customer is read),
// so its limits are marked (`limit`); a refused update whose every issue is a marked limit is
// parsed again with them let through, and `held` decides, against the customer the write is
// planned on, whether each was a value the customer holds.

/** What a marked limit measures: the value itself (a string, a key), or how many entries of a map the write changes. */
interface Mark {
  readonly action: object;
  /** For a limit on a map's entries: the most a write may change; undefined: a limit on the value. */
  readonly entries?: number | undefined;
}

/** Each issue a marked limit raised (valibot's issue objects, and the Issues made of them), with its limit. */
const marks = new WeakMap<object, Mark & { readonly key?: boolean }>();

/** While a parse lets limits through: whether this limit may pass this value. Parses are synchronous. */
let lenience: ((action: object, value: unknown) => boolean) | undefined;

type Action = v.BaseValidation<unknown, unknown, v.BaseIssue<unknown>>;

/**
 * A provider's limit (`v.maxLength`, a count check) marked as such: it refuses as the action does,
 * and an update may let through a value the customer already holds. `entries`: the limit is the
 * number of a map's entries (Stripe's 50 metadata keys), held where the write changes no more.
 */
export function limit<A>(action: A, entries?: number): A {
  const inner = action as unknown as Action;
  const marked: Action = {
    ...inner,
    '~run'(dataset, config) {
      if (dataset.typed && lenience?.(marked, dataset.value)) return dataset;
      const before = dataset.issues?.length ?? 0;
      const out = inner['~run'](dataset, config);
      for (const issue of out.issues?.slice(before) ?? []) marks.set(issue, { action: marked, entries });
      return out;
    },
  };
  return marked as unknown as A;
}

/** Carries a valibot issue's limit to the Issue made of it (src/contract/validate.ts). */
export function markIssue(from: v.BaseIssue<unknown>, to: Issue): void {
  const mark = marks.get(from);
  // A record's key is checked where its value is: `metadata.<key>` names both.
  if (mark) marks.set(to, { ...mark, key: from.path?.at(-1)?.origin === 'key' });
}

export const isLimitIssue = (issue: Issue): boolean => marks.has(issue);

function parsedWith<T>(schema: v.GenericSchema<unknown, T>, body: unknown, lenient: (action: object, value: unknown) => boolean) {
  lenience = lenient;
  try {
    return v.safeParse(schema, body);
  } finally {
    lenience = undefined;
  }
}

/** A value's identity for matching an issue to the limit's later run on the same value. */
const valueKey = (value: unknown): string => (typeof value === 'string' ? `s${value}` : `j${JSON.stringify(value)}`);

/** The member of a shown customer at an issue's path. */
function shownAt(shown: unknown, path: readonly (string | number)[]): unknown {
  let node = shown;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Whether a marked limit's issue is on a value the customer holds, as `shown` (this dialect's rendering of it) has it. */
function holds(issue: Issue, shown: unknown): boolean {
  const mark = marks.get(issue);
  if (!mark) return false;
  const stored = shownAt(shown, issue.path);
  if (mark.key) return stored !== undefined;
  if (mark.entries === undefined) return stored !== undefined && valueKey(stored) === valueKey(issue.value);
  if (issue.value === null || typeof issue.value !== 'object') return false;
  const held = stored !== null && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
  const changed = Object.entries(issue.value).filter(([k, x]) => !Object.hasOwn(held, k) || valueKey(held[k]) !== valueKey(x));
  return changed.length <= mark.entries;
}

const refusal = (issues: readonly Issue[]) => new GatewayError('invalid_request', issues[0]?.message ?? 'Invalid request.', { issues });

/**
 * An update body refused for a fault beside a marked limit: refused whatever the customer holds,
 * but a value it holds is no fault, and the error a caller reads (a Stripe error names only its
 * first issue; Bigcapital's lists each with its value) should not name it. `narrowed` gives the
 * refusal of the real faults against the customer as this dialect shows it; where no customer is
 * read, this refusal (every issue) stands.
 */
export class LimitedRefusal extends GatewayError {
  readonly narrowed: (shown: unknown) => GatewayError;
  constructor(refused: GatewayError, narrowed: (shown: unknown) => GatewayError) {
    super(refused.code, refused.message, refused.details);
    this.narrowed = narrowed;
  }
}

/**
 * The faults of a refused body: its issues in their order, less the limits on values the customer
 * holds, and then any fault the limits hid (`ordinary`: the issues once every limit is let through).
 */
function realFaults(first: readonly Issue[], ordinary: readonly Issue[], shown: unknown): Issue[] {
  const same = (a: Issue, b: Issue) => a.message === b.message && JSON.stringify(a.path) === JSON.stringify(b.path);
  const standing = first.filter((issue) => !isLimitIssue(issue) || !holds(issue, shown));
  return [...standing, ...ordinary.filter((issue) => !standing.some((s) => same(s, issue)))];
}

/** An update body checked as far as it can be before the customer is read. */
export interface Checked<T> {
  readonly output: T;
  /**
   * Present where a limit let the body through: the refusal (as it would have been) when not every
   * value held past a limit is one the customer, shown through this dialect as `shown`, holds.
   */
  readonly held?: { readonly refusal: GatewayError; check(shown: unknown): GatewayError | undefined };
}

/** valibot's issues as Issues (src/contract/validate.ts). */
export type ToIssues = (issues: readonly v.BaseIssue<unknown>[]) => Issue[];

/**
 * An update body, where `refused` (its validation error) names only marked limits: parsed again
 * with them let through, and the check that the customer holds each value let through. Else the
 * refusal stands.
 */
export function heldPast<T>(schema: v.GenericSchema<unknown, T>, body: unknown, refused: GatewayError, toIssues: ToIssues): Checked<T> {
  const first = refused.details.issues ?? [];
  if (first.length === 0 || !first.some(isLimitIssue)) throw refused;
  const lenient = parsedWith(schema, body, () => true);
  // Something else is wrong too (beside the limits, or hidden by them): refused whatever the
  // customer holds, but naming only the real faults, which the customer decides (LimitedRefusal).
  if (!lenient.success) {
    const ordinary = toIssues(lenient.issues);
    throw new LimitedRefusal(refused, (shown) => refusal(realFaults(first, ordinary, shown)));
  }
  if (!first.every(isLimitIssue)) throw refused;
  return {
    output: lenient.output,
    held: { refusal: refused, check: (shown) => unheld(schema, body, first, shown, toIssues) },
  };
}

/**
 * The refusal of the values let past a limit that the customer does not hold, or undefined when it
 * holds them all. Each round lets through exactly the values found held so far (one pass per
 * issue), so a limit that only runs once its members pass (a map's entry count) is checked too.
 */
function unheld<T>(
  schema: v.GenericSchema<unknown, T>,
  body: unknown,
  first: readonly Issue[],
  shown: unknown,
  toIssues: ToIssues,
): GatewayError | undefined {
  const passes = new Map<string, number>();
  const granted = new Set<string>();
  const tokenOf = (action: object, value: unknown) => `${idOf(action)}\u0000${valueKey(value)}`;
  let issues = first;
  for (let round = 0; round < 8; round++) {
    const refused = issues.filter((issue) => {
      const mark = marks.get(issue);
      if (!mark || !holds(issue, shown)) return true;
      // The same limit at the same place twice: another value used this one's pass.
      const place = `${idOf(mark.action)}\u0000${mark.key === true}\u0000${JSON.stringify(issue.path)}`;
      if (granted.has(place)) return true;
      granted.add(place);
      return false;
    });
    if (refused.length > 0) return refusal(refused);
    for (const issue of issues) {
      const token = tokenOf(marks.get(issue)!.action, issue.value);
      passes.set(token, (passes.get(token) ?? 0) + 1);
    }
    const left = new Map(passes);
    const result = parsedWith(schema, body, (action, value) => {
      const token = tokenOf(action, value);
      const n = left.get(token) ?? 0;
      if (n > 0) left.set(token, n - 1);
      return n > 0;
    });
    if (result.success) return undefined;
    issues = toIssues(result.issues);
  }
  return refusal(first);
}

const actionIds = new WeakMap<object, number>();
let lastId = 0;
function idOf(action: object): number {
  let id = actionIds.get(action);
  if (id === undefined) {
    lastId += 1;
    id = lastId;
    actionIds.set(action, id);
  }
  return id;
}
