import type { ClientRequest, ClientResponse } from '../contract/dialect.ts';
import { acceptEncoding, type Fetch, fetchTransport, type Transport } from './transport.ts';

// The one place the gateway calls a provider's API: through a Transport (transport.ts), whose one
// timeout covers connecting, sending and reading the whole answer, on Node and Workers alike.

export { acceptEncoding, type Fetch, type Transport } from './transport.ts';

/** Answers larger than this (decoded) are not a customer: refused rather than buffered (CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES). */
export const maxAnswerBytes = 1024 * 1024;

/** Retry-After in seconds or as an HTTP date -> milliseconds from now. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The transport a caller named, else one over its fetch, else over the runtime's fetch. */
export const transportOf = (options: { readonly transport?: Transport | undefined; readonly fetch?: Fetch | undefined }): Transport =>
  options.transport ?? fetchTransport(options.fetch);

let runtimeFetch: Transport | undefined;

/** Sends one request to an upstream; a failure to get an answer is a canonical 503/504/502. */
export async function send(
  baseUrl: string,
  request: ClientRequest,
  options: {
    readonly timeoutMs: number;
    readonly transport?: Transport | undefined;
    readonly headers?: Readonly<Record<string, string>>;
    /** Largest answer read (decoded bytes); default maxAnswerBytes. */
    readonly maxAnswerBytes?: number | undefined;
  },
): Promise<ClientResponse> {
  const url = `${baseUrl.replace(/\/+$/, '')}${request.path}`;
  runtimeFetch ??= fetchTransport();
  const answer = await (options.transport ?? runtimeFetch)(url, {
    method: request.method,
    headers: { ...request.headers, 'accept-encoding': acceptEncoding, ...options.headers },
    body: request.body,
    timeoutMs: options.timeoutMs,
    maxAnswerBytes: options.maxAnswerBytes ?? maxAnswerBytes,
  });
  const retryAfter = retryAfterMs(answer.header('retry-after'));
  let body: unknown = answer.text;
  try {
    body = answer.text === '' ? null : JSON.parse(answer.text);
  } catch {
    // Not JSON: kept as text for the dialect's error parser, which will not find its envelope.
  }
  return {
    status: answer.status,
    body,
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfter / 1000) }),
  };
}
