import { GatewayError } from '../contract/errors.ts';
import { hasControl } from './answer-checks.ts';
import { actsOnTerminal, unicodeEscape } from './terminal-text.ts';

// A provider's customer id is kept as a link (upstream_links.remote_id) and looked up by later
// requests on every backend alike: PostgreSQL text holds no NUL, and the column holds 255
// characters (Zenskar's external_id bound). An id that cannot be kept is refused in an answer
// (client.ts); in a page of the list an import or a reconciliation reads, it is that customer's
// alone, which is named under a name every backend can keep (remoteIdName) and left out.

/** The longest provider customer id kept as a link. */
export const maxRemoteIdLength = 255;

/** Why a provider's customer id cannot be kept as a link (undefined: it can). */
export function remoteIdProblem(id: string): string | undefined {
  if (id.includes('\u0000')) return 'its id at the provider holds a NUL character';
  if (hasControl(id)) return 'its id at the provider holds a control character';
  if (id.length > maxRemoteIdLength)
    return `its id at the provider is ${id.length} characters long, past the ${maxRemoteIdLength} a link holds`;
  return undefined;
}

export function checkRemoteId(id: string): void {
  if (id.length === 0 || remoteIdProblem(id) !== undefined) {
    throw new GatewayError('bad_gateway', 'The upstream provider answered with a customer id this gateway cannot store.');
  }
}

/**
 * An id remoteIdProblem refuses, as it is named (in `refused`, stored with the import's state):
 * each control character written as a `\uXXXX` escape and a backslash doubled, so that no escape
 * reads as a character the id holds. "Control" as a terminal takes it (terminal-text.ts): C0, DEL,
 * C1, and the bidirectional controls (U+202E would reorder the name and what follows it on the line); a name past 255 characters is cut after the whole escapes and
 * characters that fit in 254, and ends in `…`. `how`: which, said in the reason.
 */
export function remoteIdName(id: string): { readonly name: string; readonly how: string } {
  const pieces = [...id].map((char) => (char === '\\' ? '\\\\' : actsOnTerminal(char) ? unicodeEscape(char) : char));
  const escaped = 'named with its control characters escaped as \\uXXXX and a backslash doubled';
  const whole = pieces.join('');
  if (whole.length <= maxRemoteIdLength) return { name: whole, how: escaped };
  let name = '';
  for (const piece of pieces) {
    if (name.length + piece.length > maxRemoteIdLength - 1) break;
    name += piece;
  }
  return { name: `${name}…`, how: `${escaped}, by its first ${name.length} characters so written, then …` };
}
