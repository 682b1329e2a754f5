import * as v from 'valibot';
import { GatewayError, type Issue, type IssueKind } from './errors.ts';
import { type Checked, heldPast, markIssue } from './held-limits.ts';

const kindByType: Readonly<Record<string, IssueKind>> = {
  strict_object: 'unknown',
  non_empty: 'empty',
  email: 'format',
  regex: 'format',
  uuid: 'format',
  url: 'format',
  iso_date_time: 'format',
  iso_timestamp: 'format',
  integer: 'format',
  picklist: 'value',
  enum: 'value',
  literal: 'value',
  min_value: 'value',
  max_value: 'value',
  min_length: 'value',
  max_length: 'value',
  check: 'value',
};

/**
 * One valibot issue as Issues with full paths. A union (`"" | object`, `string | null`) that no
 * option matched reports its options' issues relative to itself; the ones worth showing are those
 * of the option the input was meant for, i.e. not a bare literal/null mismatch at the union itself.
 */
function toIssues(issue: v.BaseIssue<unknown>, prefix: readonly (string | number)[] = []): Issue[] {
  const path = [...prefix, ...(issue.path ?? []).map((item) => item.key as string | number)];
  if (issue.type === 'union' && issue.issues) {
    const meant = issue.issues.filter((sub) => (sub.path?.length ?? 0) > 0 || !['literal', 'null'].includes(sub.type));
    if (meant.length > 0 && meant.length < issue.issues.length) return meant.flatMap((sub) => toIssues(sub, path));
  }
  let kind = kindByType[issue.type] ?? 'type';
  if (kind === 'type' && issue.input === undefined && issue.kind === 'schema') kind = 'missing';
  const out: Issue = { path, kind, message: issue.message, value: issue.input };
  markIssue(issue, out);
  return [out];
}

const issuesOf = (issues: readonly v.BaseIssue<unknown>[]): Issue[] => issues.flatMap((issue) => toIssues(issue));

/** Runs a dialect's request schema; every failing field becomes an Issue of one GatewayError. */
export function validate<T>(schema: v.GenericSchema<unknown, T>, body: unknown): T {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const issues = issuesOf(result.issues);
  throw new GatewayError('invalid_request', issues[0]?.message ?? 'Invalid request.', {
    issues,
  });
}

/**
 * An issue in words, not the schema library's: valibot's default for an unknown or missing member
 * ("Invalid key: Expected never but received …") is what each dialect's own envelope rewords over
 * HTTP (Stripe's "Received unknown parameter"). `call` names the request: `a Wooshpay update`.
 * Translate (src/gateway/translate.ts) and fixture files (src/gateway/fixtures.ts) say it so.
 */
export function inWords(issue: Issue, call: string): Issue {
  if (!issue.message.startsWith('Invalid key:')) return issue;
  const name = issue.path.join('.');
  if (issue.kind === 'unknown') return { ...issue, message: `Received unknown parameter: ${name} (${call} takes no such parameter).` };
  if (issue.kind === 'missing') return { ...issue, message: `Missing required parameter: ${name} (${call} must have it).` };
  return issue;
}

/**
 * An update body: as validate, except that where only the dialect's own limits refused it, it is
 * taken with `held`, the check that the customer holds every value let past them
 * (src/contract/held-limits.ts). A create has nothing held: it is validated.
 */
export function validateUpdate<T>(schema: v.GenericSchema<unknown, T>, body: unknown): Checked<T> {
  try {
    return { output: validate(schema, body) };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return heldPast(schema, body, error, issuesOf);
  }
}
