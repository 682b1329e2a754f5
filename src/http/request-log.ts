import type { Context, MiddlewareHandler } from 'hono';
import { BoundedMap } from '../contract/bounded-map.ts';
import type { LoggedRequest } from '../contract/request-log.ts';
import { requestIdOf } from './access.ts';

// The last requests of each tenant, for a developer to see what their code sent
// (GET /gateway/v1/requests). In memory, per process, bounded: a ring of `size` entries per
// tenant and at most `tenants` tenants (the least recently active is dropped). Bodies are kept
// short and every member whose name says it is a secret is redacted; headers are never kept.
// Each entry keeps the mode of the key that made the request, and a key is shown only its own
// mode's: a live request's bodies hold live customers, which a test key never sees elsewhere.

export type { LoggedRequest } from '../contract/request-log.ts';

const maxBodyChars = 4096;
const tooLong = `(longer than ${maxBodyChars} bytes: not kept)`;
const secretName = /secret|password|passwd|passphrase|token|api[_-]?key|private[_-]?key|signing[_-]?key|authorization|credential|cvc|cvv/i;

/** A body with every secret-named member replaced, parsed where it is JSON or a form. */
export function redacted(text: string, contentType: string | undefined): unknown {
  if (text === '') return null;
  if (text.length > maxBodyChars) return tooLong;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text);
    return Object.fromEntries([...form.keys()].map((k) => [k, secretName.test(k) ? '[redacted]' : form.getAll(k).join(',')]));
  }
  try {
    return redactValue(JSON.parse(text));
  } catch {
    return '(not JSON)';
  }
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretName.test(k) ? '[redacted]' : redactValue(v)]));
}

/** A body as text when it is at most `max` bytes, else undefined (a body refused early may be endless). */
async function readBounded(body: ReadableStream<Uint8Array>, max: number): Promise<string | undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      total += value.byteLength;
      if (total > max) return undefined;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return '';
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

interface Kept {
  /** The mode of the key the request authenticated with (undefined: none known, shown to no key). */
  readonly livemode: boolean | undefined;
  readonly entry: LoggedRequest;
}

export class RequestLog {
  readonly #rings: BoundedMap<string, Kept[]>;
  readonly #size: number;

  constructor(size: number, tenants = 1_000) {
    this.#size = size;
    this.#rings = new BoundedMap(tenants);
  }

  get enabled(): boolean {
    return this.#size > 0;
  }

  add(tenantId: string, livemode: boolean | undefined, entry: LoggedRequest): void {
    const ring = this.#rings.get(tenantId) ?? [];
    ring.push({ livemode, entry });
    if (ring.length > this.#size) ring.shift();
    this.#rings.set(tenantId, ring);
  }

  /** A reset of the tenant: its requests go with the customers whose bodies they carry. */
  forget(tenantId: string): void {
    this.#rings.delete(tenantId);
  }

  /** Newest first, the requests made with keys of `livemode`'s mode, filtered by status (`404`, or a class: `4xx`) and path prefix. */
  list(
    tenantId: string,
    livemode: boolean,
    filter: { readonly status?: string; readonly path?: string; readonly limit?: number } = {},
  ): LoggedRequest[] {
    const status = filter.status;
    const matchesStatus = (s: number) =>
      status === undefined || (/^\dxx$/.test(status) ? String(s)[0] === status[0] : String(s) === status);
    return [...(this.#rings.get(tenantId) ?? [])]
      .reverse()
      .filter((kept) => kept.livemode === livemode)
      .map((kept) => kept.entry)
      .filter((e) => matchesStatus(e.status) && (filter.path === undefined || e.path.startsWith(filter.path)))
      .slice(0, filter.limit ?? this.#size);
  }

  /** Records every request a dialect served for an authenticated tenant. */
  middleware(bodyLimitBytes: number): MiddlewareHandler {
    return async (c: Context, next) => {
      if (!this.enabled) return next();
      const started = performance.now();
      const declared = c.req.header('content-length');
      // A body declared larger than the limit is never copied. The copy is read while the pipeline
      // runs, not after it: a tee's branch settles its cancel (the pipeline cancels a body it stops
      // reading) only once the other branch is done too, so a copy left unread until the pipeline
      // returned would hold that request for ever. The copy stops at its own bound.
      const copy =
        c.req.raw.body !== null && (declared === undefined || Number(declared) <= bodyLimitBytes) ? c.req.raw.clone() : undefined;
      const copied = copy?.body ? readBounded(copy.body, maxBodyChars) : Promise.resolve('');
      await next();
      const tenant = c.get('tenant') as string | undefined;
      const dialect = c.get('dialect') as string | undefined;
      const kept = tenant !== undefined && dialect !== undefined && dialect !== 'gateway' && c.res.status !== 413;
      if (!kept) return;
      const requestText = await copied;
      const responseText = await c.res
        .clone()
        .text()
        .catch(() => '');
      this.add(tenant, c.get('livemode') as boolean | undefined, {
        time: new Date().toISOString(),
        request_id: requestIdOf(c) ?? null,
        method: c.req.method,
        path: c.req.path,
        dialect,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        request_body: requestText === undefined ? tooLong : redacted(requestText, c.req.header('content-type')),
        response_body: redacted(responseText, c.res.headers.get('content-type') ?? undefined),
      });
    };
  }
}
