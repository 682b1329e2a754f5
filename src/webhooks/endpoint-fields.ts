import * as v from 'valibot';
import { GatewayError } from '../contract/errors.ts';
import { eventTypes } from './events.ts';
import { stripeApiVersions } from './stripe-api-versions.ts';

// The fields of Stripe's webhook endpoint as create and update take them
// (https://docs.stripe.com/api/webhook_endpoints/update), each checked before anything is written:
// its url and enabled_events, its `disabled` switch, and what only describes it: a description of at most 5,000 characters ("" removes it), and metadata under Stripe's limits
// (https://docs.stripe.com/api/metadata: 50 keys, keys of 40 characters without square brackets,
// values of 500), merged key by key, a "" value removing its key and a "" for the whole of it
// removing every key.

const refused = (message: string, field: string) =>
  new GatewayError('invalid_request', message, { issues: [{ path: [field], kind: 'value', message }] });

/** Characters, not UTF-16 units: an emoji counts once (as schemas/limits.ts counts). */
const chars = (text: string): number => [...text].length;

/** The description to store: null for none. */
export function descriptionOf(given: unknown): string | null {
  if (typeof given !== 'string') throw refused('description must be a string.', 'description');
  // PostgreSQL text cannot hold NUL (SQLite can): refused on every backend alike (src/core/write-checks.ts).
  if (given.includes('\u0000')) throw refused('description cannot contain a NUL character.', 'description');
  if (chars(given) > 5000) throw refused('description must be at most 5000 characters.', 'description');
  return given === '' ? null : given;
}

/** The stored metadata (JSON, null for none) after `given` is merged into `stored`. */
export function mergeMetadata(stored: string | null, given: unknown): string | null {
  if (given === '') return null;
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw refused('metadata must be an object of string values.', 'metadata');
  const merged = new Map(Object.entries(metadataView(stored)));
  for (const [key, value] of Object.entries(given)) {
    if (chars(key) > 40 || /[[\]]/.test(key) || key === '')
      throw refused(`Invalid metadata key '${key}': at most 40 characters, no square brackets.`, 'metadata');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw refused(`metadata[${key}] must be a string.`, 'metadata');
    const text = String(value);
    if (chars(text) > 500) throw refused(`metadata[${key}] must be at most 500 characters.`, 'metadata');
    if (text === '') merged.delete(key);
    else merged.set(key, text);
  }
  if (merged.size > 50) throw refused('metadata can have at most 50 keys.', 'metadata');
  return merged.size === 0 ? null : JSON.stringify(Object.fromEntries(merged));
}

export const metadataView = (stored: string | null): Record<string, string> =>
  stored === null ? {} : (JSON.parse(stored) as Record<string, string>);

/**
 * Stripe's `api_version` on create, stored and shown back (null: none named). Stripe takes a
 * version it has released, the enum of its API spec (stripe-api-versions.ts), and refuses any
 * other value. A version released after that list was made is taken too: a real date later than
 * the newest listed and not later than tomorrow (UTC, as a release is dated where it is made),
 * with or without its release name (`2026-11-25.endive`), as the SDK pinned to it sends it.
 */
export function apiVersionOf(given: unknown, now = new Date()): string | null {
  if (given === undefined) return null;
  if (typeof given === 'string' && (stripeApiVersions.includes(given) || releasedSince(given, now))) return given;
  const newest = stripeApiVersions.at(-1)!;
  throw refused(
    `Invalid api_version: ${typeof given === 'string' ? given : typeof given} is not a Stripe API version (one of ${stripeApiVersions[0]} to ${newest}, such as 2024-06-20, or one released since).`,
    'api_version',
  );
}

function releasedSince(given: string, now: Date): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(\.[a-z]{1,32})?$/.exec(given);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2024-13-45 over into 2025: a date that does not exist does not come back the same.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  const newest = stripeApiVersions.at(-1)!.slice(0, 10);
  const tomorrow = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  return given.slice(0, 10) > newest && given.slice(0, 10) <= tomorrow;
}

/** A Stripe boolean (`disabled`, `connect`): a JSON boolean, or a form body's "true"/"false". */
export function disabledOf(given: unknown, field = 'disabled'): boolean {
  if (given === true || given === 'true') return true;
  if (given === false || given === 'false') return false;
  throw refused(`Invalid boolean: ${typeof given === 'string' ? given : typeof given}`, field);
}

const urlSchema = v.pipe(
  v.string('url must be a string.'),
  v.maxLength(2048, 'url is longer than 2048 characters.'),
  v.check((text) => !text.includes('\u0000'), 'url cannot contain a NUL character.'),
  v.check((text) => {
    try {
      const u = new URL(text);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'url must be an http:// or https:// URL without credentials.'),
);

/** An endpoint's URL: http(s), at most 2,048 characters, no credentials in it. */
export function urlOf(given: unknown): string {
  // Required on a create, as at Stripe: its "Missing required param", not a wrong type.
  if (given === undefined) {
    const message = 'Missing required param: url.';
    throw new GatewayError('invalid_request', message, { issues: [{ path: ['url'], kind: 'missing', message }] });
  }
  const url = v.safeParse(urlSchema, given);
  if (!url.success) throw refused(url.issues[0].message, 'url');
  return url.output;
}

/** Stripe's `enabled_events`: a list (or a form's comma-separated text) of known types or `*`; none given is every one. */
export function eventsOf(given: unknown): string[] {
  if (given === undefined || given === null || given === '') return ['*'];
  const list = typeof given === 'string' ? given.split(',').map((s) => s.trim()) : given;
  if (!Array.isArray(list) || list.length === 0) throw refused('enabled_events must be a list of event types.', 'enabled_events');
  for (const item of list) {
    if (item !== '*' && !eventTypes.includes(item as never)) {
      // Not String(item): a form body's `enabled_events[0][x]=1` is an object without a prototype, which throws there.
      const named = typeof item === 'string' ? `'${item}'` : `of type ${Array.isArray(item) ? 'array' : typeof item}`;
      throw refused(`Unknown event type ${named}; known: *, ${eventTypes.join(', ')}.`, 'enabled_events');
    }
  }
  return [...new Set(list as string[])];
}
