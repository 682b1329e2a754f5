import type { ClientRequest, ClientResponse } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';

// The one place the gateway calls out: `fetch`, the same on Node and Workers, bounded by a timeout
// that covers connecting, sending and reading the whole answer.

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Answers larger than this (decoded) are not a customer: refused rather than buffered (CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES). */
export const maxAnswerBytes = 1024 * 1024;

/**
 * fetch decodes these as a stream (undici on Node, the Workers runtime): the limit below counts
 * decoded bytes as they arrive, so a small compressed bomb is cut off at the limit, never inflated
 * whole. Named explicitly so no encoding the reader cannot bound is ever offered.
 */
export const acceptEncoding = 'gzip, deflate';

/** Retry-After in seconds or as an HTTP date -> milliseconds from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const isTimeout = (error: unknown) => error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

const tooLarge = () => new GatewayError('bad_gateway', 'The upstream provider answered with more than a customer.');

/** The decoded body as text, read chunk by chunk and abandoned as soon as it passes `limit` bytes. */
async function readBounded(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  // Declared length is of the encoded body; a plain one over the limit needs no reading at all.
  if (!response.headers.has('content-encoding') && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let seen = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += value.byteLength;
    if (seen > limit) {
      // Cancelling stops the decompression and closes the connection.
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Sends one request to an upstream; a failure to get an answer is a canonical 503/504/502. */
export async function send(
  baseUrl: string,
  request: ClientRequest,
  options: {
    readonly timeoutMs: number;
    readonly fetch?: Fetch;
    readonly headers?: Readonly<Record<string, string>>;
    /** Largest answer read (decoded bytes); default maxAnswerBytes. */
    readonly maxAnswerBytes?: number | undefined;
  },
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
      headers: { ...request.headers, 'accept-encoding': acceptEncoding, ...options.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal,
      redirect: 'manual',
    });
    status = response.status;
    retryAfter = retryAfterMs(response.headers.get('retry-after'));
    text = await readBounded(response, options.maxAnswerBytes ?? maxAnswerBytes);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    if (isTimeout(error) || signal.aborted) {
      throw new GatewayError('upstream_timeout', `The upstream provider did not answer within ${options.timeoutMs} ms.`);
    }
    // Refused, reset, unresolvable: the cause stays in the gateway (it may name hosts).
    throw new GatewayError('upstream_unavailable', 'The upstream provider could not be reached.');
  }
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the dialect's error parser, which will not find its envelope.
  }
  return { status, body, ...(retryAfter === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfter / 1000) }) };
}
