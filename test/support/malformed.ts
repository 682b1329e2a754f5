import fc from 'fast-check';
import { maxBodyDepth, maxFormParameters } from '../../src/contract/body.ts';

// Generators for requests a careless client or an attacker sends: bracket-form keys at qs's limits,
// JSON at the body's depth limit, ids and keys with NUL and unicode, numbers as text and text as
// numbers, content types that are duplicated, missing or wrong, odd methods, paths with trailing
// slashes and percent-encoding, query strings on writes. test/properties-malformed.test.ts sends
// them to every dialect's routes and to the gateway's own API.

/** Text that has broken parsers and lookups before: NUL, unicode, numbers' edges, prototype names. */
export const oddText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    'é',
    '😀',
    '\u202e',
    '\ufeff',
    '%00',
    '%',
    '%zz',
    '..',
    '.',
    '/',
    'cus_',
    '0',
    '-0',
    '-1',
    '1e3',
    '0x10',
    '007',
    '9007199254740993',
    '9'.repeat(40),
    'NaN',
    'Infinity',
    'true',
    'null',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'x'.repeat(5000),
  ),
);

/** A value as JSON carries it: text, numbers (as text and back), booleans, null, arrays, objects. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  oddText,
  fc.constantFrom(0, -0, -1, 1.5, 1e21, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, true, false, null, [], {}, ['a'], { a: 1 }),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A key's bracket segments: indexes at qs's array limit (100), huge ones, empty (`a[]`), names. */
const segment = fc.oneof(
  fc.constantFrom('', '0', '1', '99', '100', '101', '4294967296', '-1', 'a', 'line1', 'city', 'country', 'address', 'name'),
  oddText.filter((s) => s.length < 30),
);

/** Bracket keys at and past the form decoder's depth (5), malformed brackets among them. */
export function bracketKey(heads: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...heads), fc.array(segment, { maxLength: 8 }))
        .map(([h, ss]) => h + ss.map((s) => `[${s}]`).join('')),
    },
    { weight: 1, arbitrary: fc.constantFrom(...heads).map((h) => `${h}[`) },
    { weight: 1, arbitrary: fc.constantFrom(...heads).map((h) => `${h}]`) },
    { weight: 1, arbitrary: fc.constantFrom(...heads).map((h) => `${h}[a]b`) },
    { weight: 1, arbitrary: fc.constantFrom('[]', '[a]', '[0][1]', 'a[[b]]', 'a][b[', '=', '&', '') },
    { weight: 1, arbitrary: oddText },
  );
}

/** Percent-encodes what a URL cannot carry; a lone surrogate (which encodeURIComponent refuses) as its WTF-8 bytes. */
export function encoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text.replace(/[^A-Za-z0-9]/g, (ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return '%ED%A0%80';
      }
    });
  }
}

/** `name=value` pairs as a form: brackets escaped or not, `+` for spaces or not, sometimes 1,000+ parts. */
export function formText(heads: readonly string[]): fc.Arbitrary<string> {
  const pair = fc
    .tuple(bracketKey(heads), fc.oneof(oddText, fc.integer().map(String)), fc.boolean())
    .map(([k, v, raw]) => `${raw ? encoded(k).replace(/%5B/g, '[').replace(/%5D/g, ']') : encoded(k)}=${encoded(v)}`);
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(pair, { minLength: 1, maxLength: 12 }).map((ps) => ps.join('&')) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(maxFormParameters - 1, maxFormParameters, maxFormParameters + 1)
        .map((n) => Array.from({ length: n }, (_, i) => `metadata[k${i % 40}]=v`).join('&')),
    },
    { weight: 1, arbitrary: fc.constantFrom('a=%FF', 'name=%E0%A4%A', 'name=100%', '%5B%5D=x', 'a[b]=1&a=2', 'a=1&a[b]=2') },
  );
}

/** An object nested `depth` levels under `key` (`{"key":{"a":{"a":…}}}`), around the body's limit. */
const nestedUnder = (key: string, depth: number): Record<string, unknown> => {
  let node: unknown = 'x';
  for (let i = 0; i < depth; i++) node = { a: node };
  return { [key]: node };
};

/** Mutations of a valid JSON body: members' types swapped, keys odd or bracketed, nesting at the limit. */
export function jsonBody(valid: readonly Record<string, unknown>[]): fc.Arbitrary<string> {
  const base = fc.constantFrom(...valid);
  const member = (b: Record<string, unknown>) => fc.constantFrom(...(Object.keys(b).length > 0 ? Object.keys(b) : ['name']));
  const swapped = (value: unknown): unknown =>
    typeof value === 'number'
      ? String(value)
      : typeof value === 'string' && value !== '' && Number.isFinite(Number(value))
        ? Number(value)
        : value;
  return fc.oneof(
    base.map((b) => JSON.stringify(Object.fromEntries(Object.entries(b).map(([k, v]) => [k, swapped(v)])))),
    base.chain((b) => fc.tuple(member(b), oddValue).map(([k, v]) => JSON.stringify({ ...b, [k]: v }))),
    base.chain((b) => fc.tuple(oddText, oddValue).map(([k, v]) => JSON.stringify({ ...b, [k]: v }))),
    base.chain((b) => fc.tuple(member(b), segment, oddValue).map(([k, s, v]) => JSON.stringify({ ...b, [`${k}[${s}]`]: v }))),
    base.chain((b) => fc.tuple(member(b), oddText, oddValue).map(([k, s, v]) => JSON.stringify({ ...b, [k]: { [s]: v } }))),
    fc
      .tuple(fc.constantFrom('metadata', 'custom_data', 'address', 'name'), fc.integer({ min: maxBodyDepth - 3, max: maxBodyDepth + 2 }))
      .map(([k, d]) => JSON.stringify(nestedUnder(k, d))),
    fc.constantFrom('x'.repeat(100), 'k'.repeat(70_000)).map((k) => JSON.stringify({ [k]: 'v', metadata: { [k]: 'v' } })),
    fc.constantFrom(
      '{',
      '{"name":',
      '{"name":"x"}{"name":"y"}',
      '{"name":"x",}',
      '\ufeff{"name":"x"}',
      'null',
      '[]',
      '""',
      '0',
      ' ',
      '{"name":"\\u0000"}',
    ),
  );
}

/** Content types: the dialect's own, duplicated, unparameterised or oddly so, none, or another. */
export const contentTypes = fc.constantFrom<readonly string[]>(
  ['application/json'],
  ['application/x-www-form-urlencoded'],
  ['application/json', 'application/x-www-form-urlencoded'],
  ['application/x-www-form-urlencoded', 'application/json'],
  ['application/json', 'application/json'],
  ['APPLICATION/JSON'],
  ['application/json; charset=latin1'],
  ['application/json;'],
  ['application/x-www-form-urlencoded; charset=utf-8'],
  ['application/vnd.api+json'],
  ['text/plain'],
  ['multipart/form-data; boundary=x'],
  [';'],
  [],
);

/** Methods a route takes and does not: lowercase `patch` is not normalised by fetch, `PURGE` is anyone's. */
export const oddMethods = fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'patch', 'PURGE');

/** A query string for any method: expand and list parameters, brackets, odd text, or none. */
export function queryText(heads: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    {
      weight: 2,
      arbitrary: formText([...heads, 'expand', 'limit', 'starting_after', 'page', 'per_page', 'refresh', 'from', 'to']).map((q) => `?${q}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?',
        '?&',
        '?=',
        '?expand[]=',
        '?expand[0]=x&expand[1]=y',
        '?limit=-1',
        '?limit=1e3',
        '?refresh=true',
        '?%',
        '?a=%FF',
      ),
    },
  );
}

/** Headers of a request: its content types appended (so a duplicate is one header, joined), and the auth. */
export function requestHeaders(types: readonly string[], auth: Record<string, string>): Headers {
  const headers = new Headers(auth);
  for (const type of types) headers.append('content-type', type);
  return headers;
}

/** Text a response must never carry: a stack frame, a source path, an engine's own error text. */
export const leaked =
  /\n\s+at |\bat \S+ \(.*:\d+:\d+\)|node_modules|\/work\/|file:\/\/|\.[jt]s:\d+|TypeError|ReferenceError|RangeError|SyntaxError|Cannot read prop|is not a function|is not iterable|Unexpected token|in JSON at position|SQLITE_|sqlite3|postgres|kysely/i;
