// A provider's customer ids and names, and a customer's values, reach an operator's terminal in
// what the CLI prints (upstream import and reconcile: src/cli/book-messages.ts; every other command
// through src/cli/output.ts) and in the names of refused ids (remote-ids.ts). Some characters are
// not shown there but acted on: C0, DEL and C1 controls (U+009B is CSI: it restyles or rewrites
// the screen) and the bidirectional controls, which reorder the text around them ("Trojan Source",
// CVE-2021-42574: `cus_1\u202e2_suc` reads as `cus_1cus_2`). Both are escaped as `\uXXXX`
// wherever such text is printed.

/**
 * The characters a terminal acts on instead of showing: Unicode's controls (Cc: C0, DEL, C1) and
 * the bidirectional controls (LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM; ALM).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const acting = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const actingAll = new RegExp(acting.source, 'g');

/** True for a character (one code point) a terminal acts on instead of showing (see `acting`). */
export const actsOnTerminal = (char: string): boolean => acting.test(char);

/** `\uXXXX` for one such character. */
export const unicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `value` as JSON.stringify writes it, with C1, DEL and the bidirectional controls escaped too
 * (JSON escapes only C0): the same value to any JSON parser, and nothing a terminal acts on.
 */
export function terminalJson(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? String(json) : json.replace(actingAll, unicodeEscape);
}

/**
 * An id, name or reason for a line of text: as it is when it holds nothing a terminal acts on;
 * otherwise as a JSON string, quoted, with those characters escaped (the quotes tell it from an
 * id that holds a backslash and a `u` as they are).
 */
export const terminalName = (text: string): string => (acting.test(text) ? terminalJson(text) : text);

/** Text of several lines: every character a terminal acts on escaped as `\uXXXX`, but the line breaks. */
export const terminalLines = (text: string): string => text.replace(actingAll, (char) => (char === '\n' ? char : unicodeEscape(char)));
