import type { Context, MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './context.ts';

// Headers every answer carries. Every response may carry customer data (or say whether a customer
// exists): never cached, never sniffed as anything but the JSON it says it is, plus the set
// hono/secure-headers sends by default (its HEADERS_MAP and DEFAULT_OPTIONS), and the request id
// under the serving dialect's header (access.ts sets the id).
//
// A dialect's answers are built with them already in a plain object (`answer`): adding them
// afterwards makes the response's headers a `Headers` object, which costs a retrieve more than its
// render from the read caches. Any other response gets them in the middleware, overwriting what
// it set itself, as secure-headers does.

const fixed = {
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
  'cache-control': 'no-store',
} as const satisfies Record<string, string>;
const fixedEntries = Object.entries(fixed);

/**
 * Marks the responses `answer` made, whose headers are complete: a property of their own, which
 * the middleware reads as cheaply as it was set (a WeakSet entry per answer cost more than both).
 */
const complete: unique symbol = Symbol('custgate.completeHeaders');
type Answered = Response & { [complete]?: true };

/**
 * The fixed headers, the content type and an empty request id under each dialect's header, in one
 * object per (content type, header name). A copy of an object of one stable shape is a plain clone;
 * spreading `fixed` with a computed key for every answer built a slow-mode object and was the
 * largest cost of a retrieve's own code (bench/retrieve-cpu.ts).
 */
const templates = new Map<string, Map<string, Record<string, string>>>();

function templateFor(contentType: string, requestIdHeader: string): Record<string, string> {
  // Two look-ups of strings the caller holds: a key joined from both would be a new string, hashed anew, per answer.
  let byHeader = templates.get(contentType);
  if (byHeader === undefined) {
    byHeader = new Map();
    templates.set(contentType, byHeader);
  }
  let template = byHeader.get(requestIdHeader);
  if (template === undefined) {
    template = { ...fixed, [requestIdHeader]: '', 'content-type': contentType };
    byHeader.set(requestIdHeader, template);
  }
  return template;
}

/**
 * A response with the fixed headers, `contentType` and the request id under `requestIdHeader` (the
 * dialect's), besides `headers` (which never override the fixed ones).
 */
export function answer(
  c: Context<GatewayEnv>,
  requestIdHeader: string,
  status: number,
  body: string,
  contentType: string,
  headers?: Record<string, string>,
): Response {
  const id = c.get('requestId');
  if (id === undefined) return new Response(body, { status, headers: { 'content-type': contentType, ...headers } });
  const all = { ...templateFor(contentType, requestIdHeader) };
  if (headers !== undefined) for (const name in headers) if (!Object.hasOwn(fixed, name)) all[name] = headers[name]!;
  all[requestIdHeader] = id;
  const res: Answered = new Response(body, { status, headers: all });
  res[complete] = true;
  return res;
}

/** Adds the fixed headers and the request id to every response `answer` did not make. */
export function responseHeaders(
  /** Each dialect's request-id header where it is not X-Request-Id (its `wire.requestIdHeader`), by dialect name. */
  requestIdHeaders: ReadonlyMap<string, string>,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();
    if ((c.res as Answered)[complete] === true) return;
    const headers = c.res.headers;
    for (const [name, value] of fixedEntries) headers.set(name, value);
    headers.delete('x-powered-by');
    const id = c.get('requestId');
    if (id !== undefined) headers.set(requestIdHeaders.get(c.get('dialect') ?? 'none') ?? 'x-request-id', id);
  };
}
