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
 * ISO-2 code for an ISO-2 or ISO-3 code or an English name, official or common
 * ("United States", "United States of America", "USA"); undefined when it names no country.
 */
export function toCountryCode(input: string): string | undefined {
  const value = input.trim();
  if (value.length === 2) return isCountryCode(value) ? value.toUpperCase() : undefined;
  if (/^[A-Za-z]{3}$/.test(value) && countries.isValid(value.toUpperCase())) {
    return countries.alpha3ToAlpha2(value.toUpperCase());
  }
  return countries.getAlpha2Code(value, 'en');
}
