// The pre-loaded customers have ids computed from their index, so the load generator can aim each
// request at any of a million customers without holding a million ids, and the preload can insert
// without reading anything back. They keep the real shapes: a v4-looking UUID, `cus_` + 14 base62
// characters, a per-tenant number.

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A bijection on 32-bit integers (murmur3's finaliser), so ids are unique yet scattered. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function toBase62(n: number, width: number): string {
  let out = '';
  let rest = n;
  for (let i = 0; i < width; i++) {
    out = base62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

export interface BenchIds {
  readonly uuid: string;
  readonly public_id: string;
  readonly number: number;
}

export function customerIds(index: number): BenchIds {
  const a = mix32(index);
  const b = mix32(a ^ 0x9e3779b9);
  const c = mix32(b ^ 0x7f4a7c15);
  const d = mix32(c ^ 0x94d049bb);
  // a is unique per index (bijection), so both the UUID and the public id are unique.
  const h = `${hex8(a)}${hex8(b)}${hex8(c)}${hex8(d)}`;
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[c & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return { uuid, public_id: `cus_${toBase62(a, 6)}${toBase62(b, 5)}${toBase62(c % 238328, 3)}`, number: index + 1 };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isPlainObject = (value: unknown): value is Record<string, Json> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `over` laid onto `base`, objects merged member by member (a dialect's setName may nest). */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

/** Tiny, fast, seedable PRNG (mulberry32): the bench is repeatable and costs the client little. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
