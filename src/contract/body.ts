import qs from 'qs';
import type { BodyFormat } from './dialect.ts';
import { GatewayError, isGatewayError } from './errors.ts';

// Keys that would reach an object's prototype if the body were ever merged with assignment.
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (declared !== null && /^\s*\d+\s*$/.test(declared)) {
    // The HTTP layer holds a body to its declared length, so it can be read whole. On Node this
    // reads the socket directly instead of building a web stream for the body (which costs more
    // than the rest of a small request's decoding).
    const whole = new Uint8Array(await request.arrayBuffer());
    if (whole.byteLength > limit) throw tooLarge(limit);
    return whole;
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const tooLarge = (limit: number) => new GatewayError('payload_too_large', `The request body is larger than ${limit} bytes.`);

/**
 * No customer body nests deeper than a few levels; a far deeper one (`[[[[…]]]]`) would exhaust the
 * stack of every recursive step after parsing and answer 500, so it is refused as malformed here.
 */
export const maxBodyDepth = 32;

/** The most parameters a form body may have (qs would silently drop the rest). */
export const maxFormParameters = 1000;

// A lone surrogate (`"\ud800"` in JSON) is no character: stored as UTF-8 it would read back as
// U+FFFD, so what was shown would not be what was stored. Refused wherever it appears
// (`String.prototype.isWellFormed`, ES2024: Node 20 and workerd have it; a third of the cost of
// testing /\p{Cs}/u on every key and value).
const illFormed = (path: readonly (string | number)[], what: string) =>
  new GatewayError(
    'invalid_request',
    `The ${what} at ${path.join('.') || 'the top level'} is not well-formed Unicode (a lone surrogate).`,
    {
      issues: [{ path, kind: 'format', message: `Invalid ${what}: a lone surrogate is not a character.` }],
    },
  );

// Every request body passes here, so the walk keeps one path, pushed and popped, and copies it
// only into an error (the keys of each object are its only allocation).
function rejectForbiddenKeys(value: unknown, path: (string | number)[] = []): void {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw illFormed([...path], 'value');
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (path.length >= maxBodyDepth) {
    throw new GatewayError('malformed_body', `The request body nests deeper than ${maxBodyDepth} levels.`);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      rejectForbiddenKeys(value[i], path);
      path.pop();
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!key.isWellFormed()) throw illFormed([...path, key], 'parameter name');
    if (forbiddenKeys.has(key)) {
      throw new GatewayError('invalid_request', `Invalid parameter name: ${key}`, {
        issues: [{ path: [...path, key], kind: 'unknown', message: `Received unknown parameter: ${[...path, key].join('.')}` }],
      });
    }
    path.push(key);
    rejectForbiddenKeys(record[key], path);
    path.pop();
  }
}

// qs keeps a name or value whose percent-encoding does not decode (`%FF`, `%E0%A4%A`, `100%`) as
// the raw text, so `name=%FF` would be stored as the three characters "%FF": what the client meant
// is unknown, so it is refused, as a body that is not UTF-8 is.
function formDecode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new GatewayError('malformed_body', `The form body is not valid percent-encoded UTF-8: ${JSON.stringify(text.slice(0, 40))}.`);
  }
}

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** One decoder for every body: without `stream`, each decode starts afresh, and a decoder per request was garbage. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body's exact text, within the limit: what a signed webhook's signature covers. */
export async function bodyText(request: Request, limit: number): Promise<string> {
  const bytes = await readLimited(request, limit).catch((error: unknown) => {
    if (isGatewayError(error)) throw error;
    // The client closed the connection mid-body (Node's "aborted"): its request, not our fault,
    // so no error log; nobody is left to read the answer, but it is a 400 all the same.
    throw new GatewayError('malformed_body', 'The request body ended before it was complete: the connection was closed.');
  });
  try {
    return utf8.decode(bytes);
  } catch {
    throw new GatewayError('malformed_body', 'The request body is not valid UTF-8.');
  }
}

/**
 * Reads and decodes a request body as one of the formats the dialect takes: JSON, or a form with
 * bracket notation (`metadata[a]=b`, `expand[0]=x`) as Stripe clients send it. An empty body is {}.
 */
export async function decodeBody(request: Request, formats: readonly BodyFormat[], limit: number): Promise<unknown> {
  // Nothing here inflates a compressed body: read as it is, a gzip body was refused as "not valid
  // UTF-8", and one whose bytes happened to decode would be parsed as if it were the parameters.
  const coding = (request.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (coding !== '' && coding !== 'identity') {
    throw new GatewayError('malformed_body', `Content-Encoding ${coding} is not supported: send the request body uncompressed.`);
  }
  const text = await bodyText(request, limit);
  const type = mediaType(request);
  const isJson = type === 'application/json' || type.endsWith('+json');
  const isForm = type === 'application/x-www-form-urlencoded';
  if (text.length === 0 && (type === '' || isJson || isForm)) return {};
  let body: unknown;
  if (isForm && formats.includes('form')) {
    body = decodeForm(text);
  } else if (isJson || (type === '' && formats.includes('json'))) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new GatewayError('malformed_body', 'The request body is not valid JSON.');
    }
  } else {
    throw new GatewayError(
      'unsupported_media_type',
      `Content-Type ${type || '(none)'} is not supported; send ${formats.map((f) => (f === 'json' ? 'application/json' : 'application/x-www-form-urlencoded')).join(' or ')}.`,
    );
  }
  rejectForbiddenKeys(body);
  return body;
}

/**
 * `expand` from a query string in every form Stripe-like clients send it: `expand[]=a`,
 * `expand[0]=a` (the Stripe SDKs) or `expand=a`. Not yet validated: anything but strings stays
 * as it is, for the dialect's schema to refuse.
 */
export function queryExpand(url: string): unknown[] {
  // Most retrieves have no query: no URL to parse for them.
  if (!url.includes('?')) return [];
  const query = new URL(url).search.slice(1);
  if (query === '') return [];
  const { expand } = qs.parse(query, { depth: 1, arrayLimit: 100, parameterLimit: 200, allowPrototypes: false });
  if (expand === undefined) return [];
  return Array.isArray(expand) ? expand : [expand];
}

const indexKeyed = Symbol('index-keyed');

/**
 * A form's list written with indices (`metadata[0]=a`, `expand[0]=x`, as the stripe SDK writes
 * both a hash with number keys and a list): Rack, under Stripe, reads it as a hash of those keys,
 * taken as a list where one is expected. `metadata[]=a` is a list only, and names no key: a hash
 * parameter (Stripe's metadata) refuses it, and a JSON list, where this is false.
 */
export const isIndexKeyed = (value: unknown): boolean => Array.isArray(value) && indexKeyed in value;

/** A form parameter's name -> its segments, an empty one where it has `[]` (`a[][b]` -> a, "", b). */
const nameSegments = (name: string): string[] => {
  const open = name.indexOf('[');
  if (open < 0) return [name];
  return [name.slice(0, open), ...Array.from(name.slice(open).matchAll(/\[([^\]]*)\]/g), (m) => m[1] ?? '')];
};

/**
 * `metadata[7]=x` is a hash key to a Stripe client (the stripe SDK writes `metadata: {7: 'x'}` so)
 * and an array index to qs, which closed the array's holes: the key 7 was stored as 0, and
 * `metadata[7]=` deleted key 0. An array with holes is the hash of the indices given; one without
 * (`expand[0]=a&expand[1]=b`, `metadata[0]=a`) stays an array, and a hash schema (valibot's
 * record) reads its indices as the same keys.
 */
function keyedWhereSparse(value: unknown, listed: ReadonlySet<string>, path: readonly string[] = []): unknown {
  if (Array.isArray(value)) {
    const given = Object.keys(value);
    if (given.length === value.length) {
      const list = value.map((item, i) => keyedWhereSparse(item, listed, [...path, String(i)]));
      if (!listed.has(JSON.stringify(path))) Object.defineProperty(list, indexKeyed, { value: true });
      return list;
    }
    const out: Record<string, unknown> = Object.create(null);
    for (const index of given) out[index] = keyedWhereSparse(value[Number(index)], listed, [...path, index]);
    return out;
  }
  if (value === null || typeof value !== 'object') return value;
  const out = value as Record<string, unknown>;
  for (const key of Object.keys(out)) out[key] = keyedWhereSparse(out[key], listed, [...path, key]);
  return out;
}

/**
 * A form (a body, or a query string: Stripe reads both as one set of parameters) with bracket
 * notation (`metadata[a]=b`, `expand[0]=x`) -> its object; `what` names it in errors.
 */
export function decodeForm(text: string, what = 'form body'): Record<string, unknown> {
  // qs drops parameters past its limit without a word: count them first and refuse out loud.
  // Empty ones too: qs counts every `&`-separated part against its limit.
  const parameters = text.split('&').length;
  if (parameters > maxFormParameters) {
    throw new GatewayError('invalid_request', `The ${what} has ${parameters} parameters; at most ${maxFormParameters} are accepted.`, {
      issues: [{ path: [], kind: 'value', message: `At most ${maxFormParameters} form parameters are accepted.` }],
    });
  }
  // A name given both as a value and as a hash (`metadata=&metadata[k]=v`): qs keeps one of the
  // two by their order, so `metadata[k]=v&metadata=` dropped the clear and answered 200, and the
  // other order failed naming `metadata[1]`. Rack, under Stripe, refuses the mix; so does this.
  const leaves = new Set<string>();
  const parents = new Set<string>();
  // The lists given with `[]`, by path: see isIndexKeyed.
  const listed = new Set<string>();
  // qs silently drops `__proto__` segments; refuse them (and their kin) out loud instead.
  for (const name of new URLSearchParams(text).keys()) {
    const segments = name.split(/[[\]]+/).filter(Boolean);
    const bad = segments.find((segment) => forbiddenKeys.has(segment));
    if (bad !== undefined) {
      throw new GatewayError('invalid_request', `Invalid parameter name: ${name}`, {
        issues: [{ path: segments, kind: 'unknown', message: `Received unknown parameter: ${name}` }],
      });
    }
    const given = nameSegments(name);
    const pushed = given.indexOf('', 1);
    if (pushed > 0) listed.add(JSON.stringify(given.slice(0, pushed)));
    leaves.add(JSON.stringify(segments));
    for (let end = 1; end < segments.length; end++) parents.add(JSON.stringify(segments.slice(0, end)));
  }
  for (const leaf of leaves) {
    if (!parents.has(leaf)) continue;
    const path = JSON.parse(leaf) as string[];
    const name = path.map((segment, i) => (i === 0 ? segment : `[${segment}]`)).join('');
    const message = `${name} is given both as a value and as a hash (${name}[…]): send one of the two.`;
    throw new GatewayError('invalid_request', message, { issues: [{ path, kind: 'type', message }] });
  }
  try {
    return keyedWhereSparse(
      qs.parse(text, {
        depth: 5,
        strictDepth: true,
        arrayLimit: 100,
        // Holes kept: see keyedWhereSparse.
        allowSparse: true,
        parameterLimit: maxFormParameters + 1,
        allowPrototypes: false,
        plainObjects: true,
        decoder: formDecode,
      }),
      listed,
    ) as Record<string, unknown>;
  } catch (error) {
    if (isGatewayError(error)) throw error;
    throw new GatewayError('malformed_body', `The ${what} nests deeper than 5 levels.`);
  }
}
