import type { AnyDialect, ErrorResponse, RequestView } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { gatewayEnvelope } from './gateway-api.ts';

// A request whose request line and headers exceed the server's limit is refused by the runtime's
// HTTP parser before the app sees it (Node: HPE_HEADER_OVERFLOW). Its answer still comes in the
// envelope of the dialect whose path the request line names, as every other refusal does, read from
// the raw bytes that arrived: src/entries/header-overflow.ts hands them here.

/** A request line at the start of a line: method, request target, version (RFC 9112 §3). */
const requestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/\d\.\d\r?$/gm;
/** The same cut short by the limit: a target over it is refused before its version is read. */
const cutRequestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+)(?: HTTP\/\d\.\d)?\r?$/;

/**
 * Where the last request line in `text` starts, or -1. Header lines cannot look like one (a field
 * name holds no space, and the parser refuses such a line before the limit), so in a read that
 * holds earlier pipelined requests too the last one is the refused request's.
 */
export function lastRequestLineAt(text: string): number {
  let at = -1;
  requestLine.lastIndex = 0;
  for (let match = requestLine.exec(text); match !== null; match = requestLine.exec(text)) at = match.index;
  return at;
}

/**
 * The refused head as far as it arrived, from its request line; or its request line alone, cut
 * short, where the target itself passed the limit; '' where neither is in `text`.
 */
export function refusedHeadIn(text: string): string {
  const at = lastRequestLineAt(text);
  if (at >= 0) return text.slice(at);
  // A header line has a colon after its name, which no method holds: the last line is no header.
  const last = text.slice(text.lastIndexOf('\n') + 1);
  return cutRequestLine.test(last) ? last : '';
}

/** The head as far as it arrived: its target's path and the header lines complete in it. */
interface PartialHead {
  readonly path: string;
  readonly view: RequestView;
}

function partialHead(head: string): PartialHead | undefined {
  const lines = head.split('\n');
  const first = cutRequestLine.exec(lines[0] ?? '');
  if (!first) return undefined;
  const method = first[1] ?? '';
  // The absolute form (`GET http://host/wooshpay/v1/customers`) names its path after the authority.
  const target = (first[2] ?? '').replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '');
  const path = target.split(/[?#]/, 1)[0] ?? '';
  const headers = new Map<string, string>();
  // The last line may be cut short by the limit: only lines that ended are read.
  for (const line of lines.slice(1, -1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { path: path === '' ? '/' : path, view: { method, header: (name) => headers.get(name.toLowerCase()) } };
}

const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/**
 * The dialect that serves `path`, as src/http/app.ts mounts them: under its prefix, under its
 * collection at the root where the path is its own, and by the credential's shape (as far as the
 * headers arrived) where two dialects share the root path.
 */
export function dialectOfPath(dialects: readonly AnyDialect[], path: string, req: RequestView): AnyDialect | undefined {
  const prefixed = dialects.find((d) => under(path, d.routes.prefix));
  if (prefixed) return prefixed;
  const own = dialects.find((d) => d.routes.root === true && under(path, d.routes.collection));
  if (own) return own;
  const shared = dialects.filter((d) => d.routes.root === 'shared' && under(path, d.routes.collection));
  return shared.find((d) => d.auth.ownsRequest?.(req)) ?? shared[0];
}

/** What the server's HTTP parser refused, as Node names its answers (lib/_http_server.js socketOnError). */
export type ParseRefusal =
  | { readonly kind: 'headers_too_large'; readonly limitBytes: number }
  /** HPE_CHUNK_EXTENSIONS_OVERFLOW: a chunked body's chunk extensions over Node's limit (16 KiB). */
  | { readonly kind: 'chunk_extensions_too_large' }
  /** Any other parse error: the parser's reason (`Invalid header value char`). */
  | { readonly kind: 'malformed'; readonly reason: string };

function refusalError(refusal: ParseRefusal): { error: GatewayError; status: number } {
  switch (refusal.kind) {
    case 'headers_too_large':
      return {
        status: 431,
        error: new GatewayError(
          'headers_too_large',
          `Request Header Fields Too Large: the request line and headers are over this server's limit of ${refusal.limitBytes} bytes.`,
        ),
      };
    case 'chunk_extensions_too_large':
      return {
        status: 413,
        error: new GatewayError('payload_too_large', "Payload Too Large: the body's chunk extensions are over this server's limit."),
      };
    case 'malformed':
      return {
        status: 400,
        error: new GatewayError('malformed_request', `Bad Request: not a valid HTTP/1.1 request (${refusal.reason}).`),
      };
  }
}

/**
 * The answer to a request the parser refused, from the bytes that arrived of it (`head` starts
 * with its request line; without one, the path is unknown): in the envelope of the dialect that
 * serves its path, else in the gateway's.
 */
export function parseRefusal(dialects: readonly AnyDialect[], head: string, refusal: ParseRefusal): ErrorResponse {
  const { error, status } = refusalError(refusal);
  const parsed = partialHead(head);
  const dialect = parsed && dialectOfPath(dialects, parsed.path, parsed.view);
  const answer = dialect ? dialect.wire.renderError(error) : gatewayEnvelope(error);
  // Every renderer answers these codes so; the status is the parser's refusal, whatever the envelope.
  return { status, body: answer.body };
}

/** The 431 for a head over `limitBytes` (parseRefusal). */
export const headersTooLarge = (dialects: readonly AnyDialect[], head: string, limitBytes: number): ErrorResponse =>
  parseRefusal(dialects, head, { kind: 'headers_too_large', limitBytes });
