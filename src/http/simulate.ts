import type { Context } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { type ErrorCode, GatewayError } from '../contract/errors.ts';
import type { Handler } from './pipeline.ts';
import type { Runtime } from './runtime.ts';

// Error injection for a dev server: `Custgate-Simulate: <what>[; times=N]` on a dialect request
// makes it fail or slow down the way the provider would, in its envelope, status and headers:
//   status=<4xx|5xx>   the provider's answer to that status (`status=503`)
//   rate_limit         a 429 with Retry-After
//   latency:<ms>       the real answer, <ms> later
//   timeout[:<ms>]     no answer for <ms> (default 30 s), then a 504
//   <name>             a failure only that provider has (`card_declined` on the Stripe-like ones)
// A request with an Idempotency-Key fails on its first N attempts (default 1) and goes through on
// the next, as a transient failure does for an SDK that retries; without a key, every attempt
// fails. With NODE_ENV=production the header is ignored, and logged.

export const simulateHeader = 'custgate-simulate';

const codeByStatus: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  500: 'internal',
  502: 'bad_gateway',
  503: 'upstream_unavailable',
  504: 'upstream_timeout',
};

const maxWaitMs = 120_000;
const defaultTimeoutMs = 30_000;

type Simulation =
  | { readonly kind: 'error'; readonly error: GatewayError }
  | { readonly kind: 'named'; readonly name: string }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number };

const refused = (problem: string) => {
  const message = `${simulateHeader}: ${problem}`;
  return new GatewayError('invalid_request', message, { issues: [{ path: ['header', simulateHeader], kind: 'value', message }] });
};

const simulated = (code: ErrorCode, what: string, retryAfterSeconds?: number) =>
  new GatewayError(code, `Simulated failure (${simulateHeader}: ${what}).`, retryAfterSeconds ? { retryAfterSeconds } : {});

function milliseconds(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  const ms = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  return ms <= maxWaitMs ? ms : undefined;
}

/** The header's directive, or a refusal that says what it takes. */
function parse(what: string, dialect: AnyDialect): Simulation | GatewayError {
  const status = /^status=(\d{3})$/.exec(what);
  if (status) {
    const code = codeByStatus[Number(status[1])];
    if (!code) return refused(`status=${status[1]} cannot be simulated; one of ${Object.keys(codeByStatus).join(', ')}`);
    return { kind: 'error', error: simulated(code, what, code === 'rate_limited' ? 1 : undefined) };
  }
  if (what === 'rate_limit') return { kind: 'error', error: simulated('rate_limited', what, 1) };
  const wait = /^(latency|timeout)(?::(\d+))?$/.exec(what);
  if (wait) {
    const kind = wait[1] as 'latency' | 'timeout';
    const ms = milliseconds(wait[2], kind === 'timeout' ? defaultTimeoutMs : Number.NaN);
    if (ms === undefined || Number.isNaN(ms)) return refused(`${kind} takes a number of milliseconds up to ${maxWaitMs} (${kind}:2000)`);
    return { kind, ms };
  }
  if (dialect.wire.simulations?.[what]) return { kind: 'named', name: what };
  const named = Object.keys(dialect.wire.simulations ?? {});
  return refused(
    `Unknown simulation "${what}": status=<code>, rate_limit, latency:<ms>, timeout[:<ms>]${named.length > 0 ? `, ${named.join(', ')}` : ''}`,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Attempts seen per Idempotency-Key, bounded: the oldest is forgotten first. */
class Attempts {
  readonly #seen = new Map<string, number>();
  next(key: string): number {
    const n = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.delete(key);
    if (this.#seen.size >= 10_000) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(key, n);
    return n;
  }
}

/** Wraps a dialect's handlers so the simulate header takes effect (not in production). */
export function simulator(rt: Runtime): (dialect: AnyDialect, handler: Handler, fail: (error: unknown) => Response) => Handler {
  const attempts = new Attempts();
  return (dialect, handler, fail) => async (c: Context) => {
    const header = c.req.header(simulateHeader)?.trim();
    if (!header) return handler(c);
    if (rt.config.production) {
      rt.logger.error('simulate_ignored', { dialect: dialect.name, reason: 'NODE_ENV=production', value: header.slice(0, 100) });
      return handler(c);
    }
    const [what = '', ...options] = header.split(';').map((part) => part.trim());
    const times = options.map((o) => /^times=(\d{1,4})$/.exec(o)).find((m) => m)?.[1];
    if (options.length > (times === undefined ? 0 : 1)) return fail(refused(`The only option is times=<n>: ${header}`));
    const simulation = parse(what, dialect);
    if (simulation instanceof GatewayError) return fail(simulation);
    if (simulation.kind === 'latency') {
      await sleep(simulation.ms);
      return handler(c);
    }
    const key = c.req.header('idempotency-key');
    if (key !== undefined && attempts.next(`${dialect.name} ${key} ${header}`) > Number(times ?? 1)) return handler(c);
    if (simulation.kind === 'timeout') {
      await sleep(simulation.ms);
      return fail(simulated('upstream_timeout', what));
    }
    if (simulation.kind === 'error') return fail(simulation.error);
    const { status, body } = dialect.wire.simulations![simulation.name]!;
    return Response.json(body, { status });
  };
}
