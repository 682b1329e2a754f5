import * as v from 'valibot';
import { isCountryCode, keptExactly } from '../../schemas/index.ts';
import { pydantic, valueError } from './errors.ts';

// The value schemas of Zenskar's members as pydantic (FastAPI's default, lax mode) reads them, with
// pydantic's messages so errors.ts can name each issue's type; the field table (fields.ts) puts
// them together, member by member.

export const isRecord = (input: unknown): input is Record<string, unknown> =>
  typeof input === 'object' && input !== null && !Array.isArray(input);

export const nullable = <S extends v.GenericSchema>(schema: S) => v.optional(v.nullable(schema));
export const stringParam = v.string(pydantic.string_type);
export const textParam = nullable(stringParam);

/** "", or only spaces, is no country (clients that send every member send that for "none"). */
const isBlank = (value: string | null | undefined): boolean => value == null || value.trim() === '';
export const orNull = (value: string | null | undefined): string | null => (value == null || isBlank(value) ? null : value);
export const upperCode = (value: string | null | undefined): string | null => orNull(value)?.trim().toUpperCase() ?? null;

export const CountryCodeParam = v.pipe(
  stringParam,
  v.check(
    (code) => isBlank(code) || isCountryCode(code),
    (issue) => valueError(`'${String(issue.input)}' is not a two-letter ISO 3166-1 country code (e.g. 'US', 'GB')`),
  ),
);
export const recordParam = v.record(v.string(), v.unknown(), pydantic.dict_type);
export const CustomDataParam = v.pipe(
  v.custom<Record<string, unknown>>(isRecord, pydantic.dict_type),
  recordParam,
  // Python keeps any integer exactly; a double cannot, so one it would change is refused, not altered.
  v.check<Record<string, unknown>, string>(
    keptExactly,
    valueError(`a number beyond ±${Number.MAX_SAFE_INTEGER} or not finite cannot be kept exactly; send it as a string`),
  ),
);

export const shownText = v.nullable(v.string());

// pydantic's lax mode (FastAPI's default) reads a boolean from 0 and 1 and from these strings in
// any case, so Zenskar answers a flag sent as "true" with a 200; anything else is its bool_parsing
// error (an object or list, bool_type).
const booleanText: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
  on: true,
  off: false,
  t: true,
  f: false,
  y: true,
  n: false,
};
const asBoolean = (input: boolean | string | number): boolean | undefined =>
  typeof input === 'boolean'
    ? input
    : typeof input === 'number'
      ? ({ 0: false, 1: true } as Record<number, boolean>)[input]
      : booleanText[input.toLowerCase()];
export const laxBoolean = v.pipe(
  v.union([v.boolean(), v.string(), v.number()], pydantic.bool_type),
  v.check((input) => asBoolean(input) !== undefined, pydantic.bool_parsing),
  v.transform((input) => asBoolean(input) === true),
);
export const shownObject = v.nullable(v.record(v.string(), v.unknown()));

// pydantic reads a UUID as the uuid crate parses one: hyphenated, 32 hex digits, braced or
// `urn:uuid:`; FastAPI then answers it hyphenated. Any other text is its uuid_parsing error.
const uuidForms = /^(?:\{([\da-f]{8}(?:-[\da-f]{4}){3}-[\da-f]{12})\}|urn:uuid:([\da-f]{8}(?:-[\da-f]{4}){3}-[\da-f]{12})|([\da-f]{32}))$/i;
const hyphenated = (text: string): string => {
  const [, braced, urn, simple] = uuidForms.exec(text) ?? [];
  if (simple) return `${simple.slice(0, 8)}-${simple.slice(8, 12)}-${simple.slice(12, 16)}-${simple.slice(16, 20)}-${simple.slice(20)}`;
  return braced ?? urn ?? text;
};
/** A UUID in any form pydantic reads, as FastAPI answers it: hyphenated, lower case. */
export const uuidParam = v.pipe(v.string(pydantic.uuid_type), v.transform(hyphenated), v.uuid(pydantic.uuid_parsing), v.toLowerCase());
