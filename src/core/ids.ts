import type { IdKind } from '../../schemas/index.ts';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Bytes from the platform CSPRNG (Node and Workers alike), drawn 4 KiB at a time: one
// getRandomValues call per request id cost about 24 µs of a ~400 µs update (bench/RESULTS.md).
// Each byte is used once, so ids stay as unpredictable as the CSPRNG.
const pool = new Uint8Array(4096);
let next = pool.length;

function randomByte(): number {
  if (next === pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  return pool[next++]!;
}

/** Random base62 text from the platform CSPRNG. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    // 62 * 4 = 248: bytes at or above it are skipped so every character is equally likely.
    if (byte < 248) out += alphabet[byte % 62];
  }
  return out;
}

/** `cus_` + 14 characters, the shape Stripe-like clients expect. */
export const newPublicId = (): string => `cus_${randomBase62(14)}`;

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The value a path segment has as an identifier of this kind, or undefined when it cannot be one
 * (a number id must be a positive integer, a UUID must look like one), so no query is wasted.
 */
export function idValue(kind: IdKind, segment: string): string | number | undefined {
  // No stored id holds NUL (PostgreSQL would fail on it rather than find nothing).
  if (segment.includes('\u0000')) return undefined;
  switch (kind) {
    case 'uuid':
      return uuidPattern.test(segment) ? segment.toLowerCase() : undefined;
    case 'number': {
      if (!/^[1-9][0-9]{0,15}$/.test(segment)) return undefined;
      const n = Number(segment);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'public_id':
      return segment.startsWith('cus_') ? segment : undefined;
    case 'alias':
    case 'external_id':
      return segment.length > 0 && segment.length <= 255 ? segment : undefined;
  }
}

/**
 * An alias must not look like another kind of id, or a path could name two customers
 * (Meteroid resolves `cus_…`, then UUID, then alias).
 */
export function aliasConflictsWithIds(alias: string): boolean {
  return alias.startsWith('cus_') || uuidPattern.test(alias);
}
