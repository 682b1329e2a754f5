import countries from 'i18n-iso-countries';
import en from 'i18n-iso-countries/langs/en.json' with { type: 'json' };

// Only English names are registered: the providers that show names (Bigcapital, Zenskar) use English.
countries.registerLocale(en);

// The library's default name is the official one ("United States of America"); the providers'
// examples show the everyday name ("United States"). Overridden only where the two differ much.
const displayNames: Readonly<Record<string, string>> = {
  US: 'United States',
  RU: 'Russia',
  IR: 'Iran',
  TW: 'Taiwan',
};

/**
 * Names people write that the library does not know: everyday short forms and the countries' own
 * names. Bigcapital and Zenskar take any text for a country, so these are mapped rather than
 * refused; anything still unknown is kept as given (Address.country_name).
 */
const aliases = {
  uk: 'GB',
  'u.k.': 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  britain: 'GB',
  'viet nam': 'VN',
  holland: 'NL',
  nederland: 'NL',
  deutschland: 'DE',
  'u.s.': 'US',
  'u.s.a.': 'US',
  america: 'US',
  españa: 'ES',
  espana: 'ES',
  italia: 'IT',
  schweiz: 'CH',
  suisse: 'CH',
  österreich: 'AT',
  osterreich: 'AT',
  brasil: 'BR',
  polska: 'PL',
  sverige: 'SE',
  norge: 'NO',
  danmark: 'DK',
  suomi: 'FI',
  éire: 'IE',
  eire: 'IE',
  uae: 'AE',
  burma: 'MM',
  swaziland: 'SZ',
  macedonia: 'MK',
  'cape verde': 'CV',
  'east timor': 'TL',
  'république française': 'FR',
} as const satisfies Record<string, string>;

/** Every ISO 3166-1 alpha-2 code known, upper case (for documents that list them). */
export const countryCodes: readonly string[] = Object.keys(countries.getAlpha2Codes()).sort();

/** Canonical countries are ISO 3166-1 alpha-2, upper case. */
export function isCountryCode(value: string): boolean {
  return /^[A-Za-z]{2}$/.test(value) && countries.isValid(value.toUpperCase());
}

/** The English name a provider shows for an ISO-2 code ("US" -> "United States"). */
export function countryName(code: string): string | undefined {
  const upper = code.toUpperCase();
  return displayNames[upper] ?? countries.getName(upper, 'en');
}

/**
 * ISO-2 code for an ISO-2 or ISO-3 code or an English name, official or common ("United States",
 * "United States of America", "USA", "UK", "Viet Nam"); undefined when it names no country known.
 */
export function toCountryCode(input: string): string | undefined {
  const value = input.trim();
  if (isCountryCode(value)) return value.toUpperCase();
  if (/^[A-Za-z]{3}$/.test(value) && countries.isValid(value.toUpperCase())) {
    return countries.alpha3ToAlpha2(value.toUpperCase());
  }
  const alias = (aliases as Readonly<Record<string, string>>)[value.toLowerCase()];
  return alias ?? countries.getAlpha2Code(value, 'en');
}

/**
 * A country written as free text (Bigcapital, Zenskar): the ISO code it names, if any, and the
 * text to keep as given — none where the text is the name every dialect shows for that code
 * anyway, so writing back what was read stores nothing new. Blank text is no country.
 */
export function readCountryText(text: string): { readonly code: string | null; readonly name: string | null } | null {
  if (text.trim() === '') return null;
  const code = toCountryCode(text) ?? null;
  if (code !== null && countryName(code) === text) return { code, name: null };
  return { code, name: text };
}

/**
 * The country as a dialect with one country text shows it (Bigcapital): the text given where it
 * names that country or there is no code, else the code's English name. A text naming another
 * country (Zenskar's `country: "France"` with `country_code: "DE"`, where the code is the country)
 * would tell its client another country, and written back as read, move the customer there.
 */
export function countryTextAlone(address: {
  readonly country: string | null;
  readonly country_name?: string | null | undefined;
}): string | null {
  const name = address.country_name;
  if (name && (address.country === null || toCountryCode(name) === address.country)) return name;
  return countryText({ country: address.country });
}

/** The country as a name-showing dialect shows it: the text given, else the code's English name. */
export function countryText(address: {
  readonly country: string | null;
  readonly country_name?: string | null | undefined;
}): string | null {
  if (address.country_name) return address.country_name;
  return address.country === null ? null : (countryName(address.country) ?? address.country);
}
