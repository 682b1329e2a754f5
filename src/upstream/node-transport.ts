import { type ClientRequest, Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import type { GatewayError } from '../contract/errors.ts';
import { answerTooLarge, type Transport, type TransportAnswer, type TransportRequest, timedOut, unreachable } from './transport.ts';

// Upstream calls on Node over node:http/https with keep-alive agents: no web Request, Headers,
// Response, stream or AbortSignal objects per call, which were ~43 % of a paced delivery's
// main-thread time under undici's fetch (issue #27). The guarantees are fetchTransport's: one
// timer bounds connecting (including the wait for a free socket), sending and the whole answer;
// gzip/deflate are decoded as a stream and abandoned at the decoded-size bound; certificates are
// verified (the https agent's defaults); the error never names the host or the cause.

export interface NodeTransportOptions {
  /** Sockets open at once to one origin (requests past it wait for one, inside their timeout). */
  readonly socketsPerOrigin: number;
  /** How long an idle socket is kept; below the usual servers' 5 s keep-alive so a closing one is rarely reused. */
  readonly idleMs?: number;
}

/** Methods a request may be sent again on a fresh socket when a reused one turns out closed. */
const repeatable = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

function decoderFor(encoding: string | undefined, first: Buffer): Transform[] | undefined {
  if (encoding === undefined) return undefined;
  const decoders: Transform[] = [];
  // Listed in the order applied: decoded last to first, as fetch does.
  for (const coding of encoding
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(createGunzip());
    // zlib-wrapped deflate starts with a CM nibble of 8; some servers send it raw.
    else if (coding === 'deflate') decoders.push(decoders.length === 0 && (first[0]! & 0x0f) !== 8 ? createInflateRaw() : createInflate());
    else if (coding === 'br') decoders.push(createBrotliDecompress());
    else if (coding !== 'identity' && coding !== '') return undefined; // unknown: passed on as is, as fetch does
  }
  return decoders.length === 0 ? undefined : decoders;
}

const headerOf =
  (response: IncomingMessage) =>
  (name: string): string | undefined => {
    const value = response.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };

/** A transport on Node's own HTTP client, its agents (and their sockets) shared by every call through it. */
export function nodeTransport(options: NodeTransportOptions): Transport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: Math.max(1, options.socketsPerOrigin),
    maxFreeSockets: Math.max(1, options.socketsPerOrigin),
    scheduling: 'lifo' as const,
    timeout: options.idleMs ?? 4000,
  };
  const http = new HttpAgent(agentOptions);
  // TLS options are the https defaults: certificates are verified against Node's CAs.
  const https = new HttpsAgent(agentOptions);
  const once = (url: URL, request: TransportRequest, deadline: number, mayRepeat: boolean) =>
    new Promise<TransportAnswer | 'stale'>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const headers: Record<string, string> = { accept: '*/*', ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      let settled = false;
      let decoders: Transform[] = [];
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: GatewayError) => {
        if (settled) return;
        settle();
        // Destroying the decoders too stops a bomb's already-received input from being inflated.
        for (const decoder of decoders) decoder.destroy();
        req.destroy();
        reject(error);
      };
      // Past the deadline a request still draining a discarded answer is cut off too.
      const onAbort = () => (settled ? req.destroy() : fail(timedOut(request.timeoutMs)));
      const timer = setTimeout(onAbort, Math.max(0, deadline - Date.now()));
      let req: ClientRequest;
      try {
        req = (secure ? httpsRequest : httpRequest)(url, { method: request.method, headers, agent: secure ? https : http });
      } catch {
        // A header value Node will not send (a control character in a credential): no request left.
        settle();
        reject(unreachable());
        return;
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        // A kept-alive socket the server closed as this request went out: nothing reached the
        // server's handler, so a repeatable request goes again, once, on a fresh socket.
        const stale = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        if (stale && mayRepeat && (repeatable.has(request.method) || request.headers['idempotency-key'] !== undefined)) {
          settle();
          resolve('stale');
          return;
        }
        fail(unreachable());
      });
      req.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const header = headerOf(response);
        if (request.discardAnswer) {
          settled = true;
          request.signal?.removeEventListener('abort', onAbort);
          response.on('end', () => clearTimeout(timer));
          response.on('error', () => clearTimeout(timer));
          response.resume();
          resolve({ status, header, text: '' });
          return;
        }
        const limit = request.maxAnswerBytes;
        const encoding = header('content-encoding');
        if (encoding === undefined && Number(header('content-length') ?? Number.NaN) > limit) {
          fail(answerTooLarge());
          return;
        }
        const chunks: Buffer[] = [];
        let seen = 0;
        const take = (chunk: Buffer) => {
          if (settled) return;
          seen += chunk.length;
          if (seen > limit) fail(answerTooLarge());
          else chunks.push(chunk);
        };
        const finish = () => {
          if (settled) return;
          settle();
          const text = Buffer.concat(chunks).toString('utf8');
          // A byte-order mark is dropped, as fetch's text() does.
          resolve({ status, header, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text });
        };
        response.on('error', () => fail(unreachable()));
        response.once('data', (first: Buffer) => {
          decoders = decoderFor(encoding, first) ?? [];
          if (decoders.length === 0) {
            take(first);
            response.on('data', take);
            response.on('end', finish);
            return;
          }
          let last: NodeJS.ReadableStream = response;
          for (const decoder of decoders) {
            decoder.on('error', () => fail(unreachable()));
            last = last.pipe(decoder);
          }
          last.on('data', take);
          last.on('end', finish);
          decoders[0]?.write(first);
        });
        // An empty body: no data event comes.
        response.on('end', () => {
          if (seen === 0 && decoders.length === 0) finish();
        });
      });
      req.end(request.body);
    });
  const send = async (url: string, request: TransportRequest): Promise<TransportAnswer> => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw unreachable();
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw unreachable();
    if (request.signal?.aborted) throw timedOut(request.timeoutMs);
    const deadline = Date.now() + request.timeoutMs;
    const answer = await once(target, request, deadline, true);
    return answer === 'stale' ? ((await once(target, request, deadline, false)) as TransportAnswer) : answer;
  };
  return Object.assign(send, { socketsPerOrigin: agentOptions.maxSockets });
}

/**
 * The transport a Node process's settings name (CUSTGATE_UPSTREAM_TRANSPORT): its own agent, or
 * none, for the runtime's fetch. One per process, shared by every caller, so the socket cap holds.
 */
export const transportFor = (setting: { readonly kind: 'node' | 'fetch'; readonly socketsPerOrigin: number }): Transport | undefined =>
  setting.kind === 'node' ? nodeTransport({ socketsPerOrigin: setting.socketsPerOrigin }) : undefined;
