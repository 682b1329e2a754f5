import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ConfigError } from '../config.ts';
import type { Logger } from '../logger.ts';
import { installTrace, type RequestTrace, traceLine, traceNow } from '../request-trace.ts';

// CUSTGATE_REQUEST_TRACE=<file> on Node (src/request-trace.ts says what it records). Read once at
// start: without it none of this is installed, and the request path only finds `currentTrace()`
// undefined. With it, an AsyncLocalStorage carries each sampled update's trace from the server's
// `request` event to the writer's marks and back to the response's `finish`; async_hooks' promise
// hooks are then on for every request, so a traced server is a little slower than an untraced one.
// A diagnostic never takes the server down: a file that cannot be opened is refused at start, and
// one that fails later (a full disk, its directory gone) is logged once and tracing stops.

const traced = Symbol('custgate request trace');
type Traced = IncomingMessage & { [traced]?: RequestTrace };
/** The request id the trace is keyed by: the caller's `x-request-id` when it is a plain token (as access.ts honours it). */
const acceptableId = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestTracing {
  /** The app's fetch, run inside the sampled request's trace. */
  wrap<F extends (request: Request, env: { incoming: IncomingMessage }) => unknown>(fetch: F): F;
  /** Marks `received` and `written` on the server's requests; call before it accepts any. */
  attach(server: Server): void;
  /** Writes what is left. */
  flush(): void;
}

/** Refuses a trace file that cannot be opened for appending (made if absent), before the server makes anything. */
export function checkTraceFile(file: string): void {
  try {
    closeSync(openSync(file, 'a'));
  } catch (error) {
    throw new ConfigError(`CUSTGATE_REQUEST_TRACE: cannot append to the trace file (${(error as Error).message})`);
  }
}

/** Traces one update in `every` (GET and HEAD are never traced), appending a CSV line per update to `file` once a second. */
export function requestTracing(file: string, every: number, logger: Logger): RequestTracing {
  const storage = new AsyncLocalStorage<RequestTrace>();
  installTrace(() => storage.getStore());
  const lines: string[] = [];
  let stopped = false;
  const flush = () => {
    if (stopped || lines.length === 0) return;
    try {
      appendFileSync(file, lines.splice(0).join(''));
    } catch (error) {
      stopped = true;
      lines.length = 0;
      clearInterval(timer);
      installTrace(() => undefined);
      const { code, message } = error as NodeJS.ErrnoException;
      logger.error('request_trace_stopped', { file, code: code ?? null, message });
    }
  };
  const timer = setInterval(flush, 1000);
  timer.unref();
  process.on('exit', flush);
  let seen = 0;
  return {
    wrap: (fetch) =>
      ((request: Request, env: { incoming: Traced }) => {
        const trace = env.incoming[traced];
        return trace ? storage.run(trace, () => fetch(request, env)) : fetch(request, env);
      }) as typeof fetch,
    attach(server) {
      server.prependListener('request', (incoming: Traced, outgoing: ServerResponse) => {
        if (stopped || incoming.method === 'GET' || incoming.method === 'HEAD' || seen++ % every !== 0) return;
        const header = incoming.headers['x-request-id'];
        const trace: RequestTrace = {
          id: typeof header === 'string' && acceptableId.test(header) ? header : `#${seen}`,
          received: traceNow(),
        };
        incoming[traced] = trace;
        outgoing.once('finish', () => {
          trace.written = traceNow();
          lines.push(traceLine(trace));
        });
      });
    },
    flush,
  };
}
