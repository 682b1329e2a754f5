import type { ClientRequest, ClientResponse } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';

// The one place the gateway calls out: `fetch`, the same on Node and Workers, bounded by a timeout
// that covers connecting, sending and reading the whole answer.

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Answers larger than this are not a customer: refused rather than buffered. */
const maxAnswerBytes = 1024 * 1024;

/** Retry-After in seconds or as an HTTP date -> milliseconds from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const isTimeout = (error: unknown) => error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

/** Sends one request to an upstream; a failure to get an answer is a canonical 503/504/502. */
export async function send(
  baseUrl: string,
  request: ClientRequest,
  options: { readonly timeoutMs: number; readonly fetch?: Fetch },
): Promise<ClientResponse> {
  const url = `${baseUrl.replace(/\/+$/, '')}${request.path}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  const doFetch: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  let text: string;
  let status: number;
  let retryAfter: number | undefined;
  try {
    const response = await doFetch(url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal,
      redirect: 'manual',
    });
    status = response.status;
    retryAfter = retryAfterMs(response.headers.get('retry-after'));
    text = await response.text();
  } catch (error) {
    if (isTimeout(error) || signal.aborted) {
      throw new GatewayError('upstream_timeout', `The upstream provider did not answer within ${options.timeoutMs} ms.`);
    }
    // Refused, reset, unresolvable: the cause stays in the gateway (it may name hosts).
    throw new GatewayError('upstream_unavailable', 'The upstream provider could not be reached.');
  }
  if (text.length > maxAnswerBytes) throw new GatewayError('bad_gateway', 'The upstream provider answered with more than a customer.');
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the dialect's error parser, which will not find its envelope.
  }
  return { status, body, ...(retryAfter === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfter / 1000) }) };
}
