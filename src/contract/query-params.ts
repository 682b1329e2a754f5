import { decodeForm } from './body.ts';
import { GatewayError } from './errors.ts';

/**
 * A Stripe-like write's parameters: its body and its query string, read as one set. Stripe takes
 * values from a POST's query string as it does from its body, "even if a request body was sent as
 * well" (stripe-mock follows the API there: https://github.com/stripe/stripe-mock/pull/100), so a
 * parameter in the query is not answered 200 and dropped. Which of the two wins when both give one
 * is documented nowhere: such a request is refused naming the parameter, rather than one of the
 * caller's values dropped in silence.
 */
export function withQueryParameters(url: string, body: unknown): unknown {
  // Most writes have no query: no URL to parse for them.
  if (!url.includes('?')) return body;
  const query = new URL(url).search.slice(1);
  if (query === '' || !isMap(body)) return body;
  return merged(body, decodeForm(query, 'query string'), []);
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function merged(body: Record<string, unknown>, query: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const [key, value] of Object.entries(query)) {
    const at = [...path, key];
    const given = out[key];
    if (!Object.hasOwn(out, key)) out[key] = value;
    else if (isMap(given) && isMap(value)) out[key] = merged(given, value, at);
    else {
      const name = at.map((segment, i) => (i === 0 ? segment : `[${segment}]`)).join('');
      const message = `${name} is given both in the query string and in the body: send it once.`;
      throw new GatewayError('invalid_request', message, { issues: [{ path: at, kind: 'value', message }] });
    }
  }
  return out;
}
