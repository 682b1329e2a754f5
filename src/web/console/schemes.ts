import type { AnyDialect } from '../../contract/dialect.ts';

// The console's credential choices, read from the dialects' own credential schemes, so a dialect
// added to the registry shows up in the <select> with nothing written here. A choice's value is
// the header the secret goes in, then `+` and each header that must come with it (given the
// organisation field): the console's script (app.ts) builds the headers from that alone.

export interface ConsoleScheme {
  /** `authorization` (sent as `Bearer <secret>`) or a header of its own, then `+companion`… */
  readonly value: string;
  readonly label: string;
}

/** One choice per distinct way of sending a credential, naming the dialects that take it. */
export function consoleSchemes(dialects: readonly AnyDialect[]): ConsoleScheme[] {
  const found = new Map<string, { header: string; companions: readonly string[]; takers: string[] }>();
  for (const dialect of dialects) {
    for (const scheme of dialect.auth.credentials) {
      let way: { header: string; companions: readonly string[]; taker: string } | undefined;
      if (scheme.type === 'jwt') way = { header: 'authorization', companions: scheme.with ?? [], taker: `${dialect.name} JWT` };
      else if ('header' in scheme.in)
        way = { header: scheme.in.header.toLowerCase(), companions: scheme.in.with ?? [], taker: `${dialect.name} key` };
      // The console sends Bearer; a key taken as Basic only would need a form of its own.
      else if (scheme.in.authorization.includes('bearer')) way = { header: 'authorization', companions: [], taker: `${dialect.name} key` };
      if (!way) continue;
      const value = [way.header, ...way.companions.map((c) => c.toLowerCase())].join('+');
      const entry = found.get(value) ?? { header: way.header, companions: way.companions, takers: [] };
      entry.takers.push(way.taker);
      found.set(value, entry);
    }
  }
  return [...found].map(([value, way]) => {
    const sent = way.header === 'authorization' ? 'Authorization: Bearer' : way.header;
    const label = `${[sent, ...way.companions].join(' + ')} (${way.takers.join(', ')})`;
    return { value, label };
  });
}

const escapes: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);

/** The <option> elements of the console's scheme <select>. */
export const schemeOptions = (schemes: readonly ConsoleScheme[]): string =>
  schemes.map((s) => `<option value="${escapeHtml(s.value)}">${escapeHtml(s.label)}</option>`).join('\n        ');
