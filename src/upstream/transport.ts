import { GatewayError } from '../contract/errors.ts';

// The seam every upstream call goes through: a request in, a status, its headers and the decoded
// text out. Two implementations keep the same guarantees: `fetchTransport` (Workers, and tests
// that hand in a fetch such as `app.fetch`) and `nodeTransport` (node-transport.ts, the Node
// default), which skips the web Request/Response/stream objects that made up ~43 % of a paced
// delivery's main-thread time (docs/performance.md, "The upstream transport").

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** One bound on connecting, sending and reading the whole answer. */
  readonly timeoutMs: number;
  /** Largest answer read, in decoded bytes: past it the answer is abandoned, never buffered whole. */
  readonly maxAnswerBytes: number;
  /**
   * Answered with the status alone (a webhook receiver's body means nothing): the body is drained
   * in the background, still inside the timeout, so the connection can be kept.
   */
  readonly discardAnswer?: boolean | undefined;
  /** The caller's own abort (a dispatcher's round ending): treated as the timeout. */
  readonly signal?: AbortSignal | undefined;
}

export interface TransportAnswer {
  readonly status: number;
  /** A response header by lower-case name. */
  header(name: string): string | undefined;
  readonly text: string;
}

/**
 * Sends one request and reads its whole answer. Rejects only with a GatewayError: upstream_timeout,
 * upstream_unavailable (whose message never names the host or the cause), or bad_gateway for an
 * answer over the size bound.
 */
export interface Transport {
  (url: string, request: TransportRequest): Promise<TransportAnswer>;
  /**
   * Set when the transport itself bounds the connections to one origin (nodeTransport's agent):
   * a caller then keeps no bound of its own, so one setting governs it. Unset (fetch): no bound.
   */
  readonly socketsPerOrigin?: number | undefined;
}

/**
 * Both transports decode these as a stream, so the bound counts decoded bytes as they arrive and a
 * small compressed bomb is cut off at the limit, never inflated whole. Named explicitly so no
 * encoding the reader cannot bound is ever offered.
 */
export const acceptEncoding = 'gzip, deflate';

export const answerTooLarge = () => new GatewayError('bad_gateway', 'The upstream provider answered with more than a customer.');

export const timedOut = (timeoutMs: number) =>
  new GatewayError('upstream_timeout', `The upstream provider did not answer within ${timeoutMs} ms.`);

// Refused, reset, unresolvable, an untrusted certificate: the cause stays in the gateway (it may name hosts).
export const unreachable = () => new GatewayError('upstream_unavailable', 'The upstream provider could not be reached.');

/** The decoded body as text, read chunk by chunk and abandoned as soon as it passes `limit` bytes. */
async function readBounded(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  // Declared length is of the encoded body; a plain one over the limit needs no reading at all.
  if (!response.headers.has('content-encoding') && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw answerTooLarge();
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
      throw answerTooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

const isAbort = (error: unknown) => error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

/** A transport over a fetch: the runtime's (Workers) or one a test hands in. */
export function fetchTransport(doFetch: Fetch = (input, init) => fetch(input, init)): Transport {
  return async (url, request) => {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    try {
      const response = await doFetch(url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
        redirect: 'manual',
      });
      if (request.discardAnswer) {
        await response.body?.cancel().catch(() => undefined);
        return { status: response.status, header: (name) => response.headers.get(name) ?? undefined, text: '' };
      }
      const text = await readBounded(response, request.maxAnswerBytes);
      return { status: response.status, header: (name) => response.headers.get(name) ?? undefined, text };
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      if (isAbort(error) || signal.aborted) throw timedOut(request.timeoutMs);
      throw unreachable();
    }
  };
}
