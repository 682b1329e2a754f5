import { type IncomingMessage, maxHeaderSize, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorResponse } from '../contract/dialect.ts';
import { lastRequestLineAt, type ParseRefusal, refusedHeadIn } from '../http/oversized-head.ts';

// Node's HTTP parser refuses a request whose request line and headers pass maxHeaderSize (16 KiB)
// with a bare `431` of its own, before the app runs, and any other request it cannot parse with a
// bare `400` (`413` for chunk extensions over its limit). This answers them instead, in the envelope
// of the dialect the request line names (src/http/oversized-head.ts), and closes the connection.
//
// The parse error carries only the read it happened in (`error.rawPacket`). Where the head came in
// more than one read, its request line was in an earlier one, which the parser (reading the socket
// in C++) never showed to JavaScript: each connection's parser says when a request begins
// (kOnMessageBegin, which Node's server leaves unset), and after each read (kOnExecute, which it
// sets and which this wraps) a head still incomplete keeps what it has read so far. Both are hooks
// of Node's own HTTP parser (lib/_http_common.js clears them when it frees one); where they are
// missing or taken, only the refused read is looked at.

/** What the connection keeps of a request whose headers have not all arrived. */
interface HeadState {
  /** A request began and its headers are not complete yet. */
  open: boolean;
  /** The head's text so far from its request line (latin1, as the parser reads it), from earlier reads. */
  carry: string;
  /** `carry` starts with the whole request line. */
  settled: boolean;
}

interface NodeParser {
  getCurrentBuffer(): Buffer;
  [hook: number]: unknown;
}

type ParserHooks = { readonly kOnMessageBegin?: unknown; readonly kOnExecute?: unknown };

const heads = new WeakMap<Socket, HeadState>();
/** Connections whose 431 is on its way: the parser's later errors on them are not answered again. */
const answered = new WeakSet<Socket>();

/**
 * What the head keeps after a read: from its request line on, bounded (past the limit the head is
 * refused anyway). Searched for only until the line has ended, and then only in a read that ends a
 * line: a client sending its head a byte at a time costs a copy per read, not a search.
 */
function keep(state: HeadState, read: string, limit: number): void {
  const cap = limit + 1024;
  if (state.settled) {
    if (state.carry.length < cap) state.carry += read.slice(0, cap - state.carry.length);
    return;
  }
  const text = state.carry + read;
  const at = read.includes('\n') ? lastRequestLineAt(text) : -1;
  state.settled = at >= 0;
  // The request line not yet complete: it is the text after the last line that ended.
  state.carry = at >= 0 ? text.slice(at, at + cap) : text.slice(text.lastIndexOf('\n') + 1).slice(0, cap);
}

function watch(socket: Socket, limit: number): void {
  const parser = (socket as Socket & { parser?: NodeParser }).parser;
  if (!parser || typeof parser.getCurrentBuffer !== 'function') return;
  const { kOnMessageBegin: begin, kOnExecute: execute } = parser.constructor as ParserHooks;
  if (typeof begin !== 'number' || typeof execute !== 'number') return;
  const executed = parser[execute];
  // Node's server leaves the message-begin hook unset; a runtime that sets it is left alone.
  if (typeof executed !== 'function' || parser[begin] != null) return;
  const state: HeadState = { open: false, carry: '', settled: false };
  heads.set(socket, state);
  parser[begin] = () => {
    state.open = true;
    state.carry = '';
    state.settled = false;
  };
  // Node frees the parser (and these hooks with it: cleanParser) when the connection closes.
  parser[execute] = (result: unknown) => {
    if (state.open && typeof result === 'number') keep(state, parser.getCurrentBuffer().toString('latin1'), limit);
    return (executed as (result: unknown) => unknown)(result);
  };
}

/** The refused head as far as it arrived, from its request line ('' where none was read). */
function refusedHead(socket: Socket, error: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }): string {
  const packet = error.rawPacket ?? Buffer.alloc(0);
  // Past the point of refusal the bytes are more of the same header (or requests pipelined after it).
  const read = packet.subarray(0, typeof error.bytesParsed === 'number' ? error.bytesParsed : packet.length);
  return refusedHeadIn((heads.get(socket)?.carry ?? '') + read.toString('latin1'));
}

/**
 * The parse error as the refusal answered in an envelope; undefined for the errors that are not the
 * parser's (Node's 408 for a request timeout, a reset connection), answered as Node does.
 */
function refusalOf(error: NodeJS.ErrnoException & { reason?: string }, limit: number): ParseRefusal | undefined {
  if (error.code === 'HPE_HEADER_OVERFLOW') return { kind: 'headers_too_large', limitBytes: limit };
  if (error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return { kind: 'chunk_extensions_too_large' };
  if (!error.code?.startsWith('HPE_')) return undefined;
  return { kind: 'malformed', reason: typeof error.reason === 'string' && error.reason !== '' ? error.reason : error.code };
}

/** Node's own answer to an error that is not the parser's (lib/_http_server.js socketOnError), which a clientError listener replaces. */
function nodeAnswer(code: string | undefined): string {
  const [status, reason] = code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n\r\n`;
}

const reasons: Readonly<Record<number, string>> = { 400: 'Bad Request', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

function response({ status, body }: ErrorResponse): string {
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Bad Request'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Connection: close',
    '',
    json,
  ].join('\r\n');
}

/**
 * Answers a request the parser refused with `answer(head, refusal)` (head: from its request line,
 * as far as it arrived), and the errors that are not the parser's as Node does.
 */
export function answerHeaderOverflow(server: Server, answer: (head: string, refusal: ParseRefusal) => ErrorResponse): void {
  // The server's own limit where it was given one (http.createServer's maxHeaderSize), else the process's.
  const limit = (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize;
  server.on('connection', (socket: Socket) => watch(socket, limit));
  server.on('request', (request: IncomingMessage) => {
    const state = heads.get(request.socket);
    if (state) state.open = false;
  });
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: Socket) => {
    if (answered.has(socket)) return;
    const refusal = refusalOf(error, limit);
    if (refusal === undefined) {
      // As Node does: nothing is written over a response already under way.
      if (socket.writable && !inFlight(socket)?.headersSent) socket.write(nodeAnswer(error.code));
      socket.destroy(error);
      return;
    }
    answered.add(socket);
    const close = (text: string) => {
      // Ended, then closed once written: the parser reads nothing more of this connection.
      if (socket.writable) socket.end(text, () => socket.destroy());
      else socket.destroy();
    };
    const current = inFlight(socket);
    // No request began since the last one's headers: the refusal is in that request's body (its
    // chunked framing, or trailers over the limit), which it is reading still, so its answer never
    // comes. Refused now, as Node does; nothing is written over a response already under way.
    if (heads.get(socket)?.open !== true && current) {
      if (current.headersSent) socket.destroy(error);
      else close(response(answer(current.req ? headOf(current.req) : refusedHead(socket, error), refusal)));
      return;
    }
    // Read now: the refused read's bytes are this error's alone.
    const text = response(answer(refusedHead(socket, error), refusal));
    // Requests pipelined before the refused one are answered first, in order (RFC 9112 §9.3.2).
    afterResponses(socket, () => close(text));
  });
}

/** A request whose headers were read, as the head it came with. */
function headOf(request: IncomingMessage): string {
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n`;
}

type InFlight = {
  readonly headersSent: boolean;
  /** The request it answers (Node: ServerResponse.req). */
  readonly req?: IncomingMessage;
  once(event: 'finish' | 'close', listener: () => void): unknown;
};

/** The response the connection is sending now, if any (Node's own slot for it). */
const inFlight = (socket: Socket): InFlight | null | undefined => (socket as Socket & { _httpMessage?: InFlight | null })._httpMessage;

/** Runs `then` once no response is in flight on the socket: each queued one is assigned as the one before finishes. */
function afterResponses(socket: Socket, then: () => void): void {
  const current = inFlight(socket);
  if (!current || socket.destroyed) {
    then();
    return;
  }
  let done = false;
  const next = () => {
    if (done) return;
    done = true;
    // Node's own 'finish' listener, registered first, has handed the socket to the next response.
    afterResponses(socket, then);
  };
  current.once('finish', next);
  current.once('close', next);
}
