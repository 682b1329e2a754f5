import * as v from 'valibot';
import { GatewayError, type Issue, type IssueKind } from './errors.ts';

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
  return [{ path, kind, message: issue.message, value: issue.input }];
}

/** Runs a dialect's request schema; every failing field becomes an Issue of one GatewayError. */
export function validate<T>(schema: v.GenericSchema<unknown, T>, body: unknown): T {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const issues = result.issues.flatMap((issue) => toIssues(issue));
  throw new GatewayError('invalid_request', issues[0]?.message ?? 'Invalid request.', {
    issues,
  });
}
