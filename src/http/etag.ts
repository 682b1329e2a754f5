import type { Customer } from '../../schemas/index.ts';

// A customer's entity-tag is its version: what a response's ETag carries and a write's If-Match names.

export const etagOf = (customer: Customer): string => `"v${customer.version}"`;

/**
 * If-Match -> the versions its entity-tags name; `*` or absent -> undefined (no condition). RFC 9110
 * §13.1.1: a list matches when any tag does, compared strongly, so a weak tag (W/"v3") or one that
 * is not a version of ours never matches; a header naming none leaves an empty list, which refuses.
 */
export function expectedVersionsOf(header: string | undefined): number[] | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  return header.split(',').flatMap((tag) => {
    const match = /^\s*"v(\d{1,15})"\s*$/.exec(tag);
    return match ? [Number(match[1])] : [];
  });
}
