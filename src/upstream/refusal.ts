import { type FieldName, fieldNames } from '../../schemas/index.ts';
import type { AnyDialect, Issue } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { canonicalPath, dialectPath } from '../contract/field-path.ts';

// An upstream's refusal names the upstream's parameters (Zenskar's `phone_number`); the client
// reads its own (Wooshpay's `phone`). Both coverage tables name each canonical field, so the path
// goes upstream name -> canonical field -> client name; a member either names otherwise (Zenskar's
// address.zipCode, Bigcapital's billingAddressZipcode) goes through the canonical member too, and
// any other member below the field stays as it is.

const root = (as: string): string => as.split(/[.[\s]/)[0] ?? as;

/** The canonical field a dialect's top-level parameter stands for (Zenskar `phone_number` -> `phone`). */
export function canonicalOf(dialect: AnyDialect, name: string): FieldName | undefined {
  return fieldNames.find((f) => {
    const c = dialect.translation.coverage[f];
    return c !== null && root(c.as) === name;
  });
}

function translatePath(path: readonly (string | number)[], upstream: AnyDialect, client: AnyDialect): (string | number)[] {
  const [first, ...rest] = path;
  if (typeof first !== 'string' || first === 'header' || first === 'path' || first === 'query') return [...path];
  const member = canonicalPath(upstream, path);
  if (member) return dialectPath(client, member);
  const field = canonicalOf(upstream, first);
  if (field === undefined) return [...path];
  const as = client.translation.coverage[field]?.as;
  return [as === undefined ? field : root(as), ...rest];
}

/** The upstream's error with its issue paths in the client dialect's names. */
export function inClientTerms(error: unknown, upstream: AnyDialect, client: AnyDialect): unknown {
  if (!(error instanceof GatewayError) || !error.details.issues) return error;
  const issues: Issue[] = error.details.issues.map((issue) => ({ ...issue, path: translatePath(issue.path, upstream, client) }));
  return new GatewayError(error.code, error.message, { ...error.details, issues });
}

/** What the local checks say of a provider's answer: a value, a size or a uniqueness it broke. */
const providerFaults = new Set(['invalid_request', 'payload_too_large', 'conflict']);

/**
 * The provider's answer holds a value the canonical model cannot store (a Zenskar phone_number
 * longer than the canonical phone): the provider's doing, never the client's. A 502 naming the
 * provider's fields, in the provider's names, and what it said about each.
 */
export function providerValueError(error: unknown, upstream: AnyDialect): unknown {
  if (!(error instanceof GatewayError) || !providerFaults.has(error.code)) return error;
  const named = (error.details.issues ?? []).map((issue) => {
    const [first, ...rest] = issue.path;
    const as =
      typeof first === 'string' && fieldNames.includes(first as FieldName)
        ? upstream.translation.coverage[first as FieldName]?.as
        : undefined;
    const name = [as === undefined ? first : root(as), ...rest].join('.');
    return `${name} (${issue.message})`;
  });
  return new GatewayError(
    'bad_gateway',
    `The upstream provider (${upstream.name}) answered with values this gateway cannot store: ${named.join('; ') || error.message}`.slice(
      0,
      400,
    ),
  );
}

/**
 * A field as the client names it: `field` is canonical (`email`, `shipping.address`), or with
 * `upstreamNames` a path in the upstream's names (a parameter its API refused).
 */
export function clientName(field: string, upstream: AnyDialect, client: AnyDialect, upstreamNames = false): string {
  if (field === '') return '';
  const [first = '', ...rest] = field.split('.');
  if (upstreamNames) return translatePath([first, ...rest], upstream, client).join('.');
  return dialectPath(client, [first, ...rest]).join('.');
}
