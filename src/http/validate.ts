import * as v from 'valibot';
import { GatewayError, type Issue, type IssueKind } from '../errors.ts';

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

function toIssue(issue: v.BaseIssue<unknown>): Issue {
  const path = (issue.path ?? []).map((item) => item.key as string | number);
  let kind = kindByType[issue.type] ?? 'type';
  if (kind === 'type' && issue.input === undefined && issue.kind === 'schema') kind = 'missing';
  return { path, kind, message: issue.message, value: issue.input };
}

/** Runs a dialect's request schema; every failing field becomes an Issue of one GatewayError. */
export function validate<T>(schema: v.GenericSchema<unknown, T>, body: unknown): T {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  throw new GatewayError('invalid_request', result.issues[0]?.message ?? 'Invalid request.', {
    issues: result.issues.map(toIssue),
  });
}
