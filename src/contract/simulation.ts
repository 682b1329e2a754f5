import type { AnyDialect } from './dialect.ts';
import { type ErrorCode, GatewayError } from './errors.ts';

// What a dev server's injected failure is (src/http/simulate.ts reads it from the Custgate-Simulate
// header, src/http/simulate-rules.ts from a tenant's rules), in the header's terms:
//   status=<4xx|5xx>   the provider's answer to that status (`status=503`)
//   rate_limit         a 429 with Retry-After
//   latency:<ms>       the real answer, <ms> later
//   timeout[:<ms>]     no answer for <ms> (default 30 s), then a 504
//   <name>             a failure only that provider has (`card_declined` on the Stripe-like ones)

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

export type Simulation =
  /** `status`: the status asked for (`status=415`), which the answer has whatever the dialect renders the error at. */
  | { readonly kind: 'error'; readonly error: GatewayError; readonly status?: number }
  | { readonly kind: 'named'; readonly name: string }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number; readonly error: GatewayError };

/** A refusal of what the header (or a rule) asked for, saying what it takes. */
export const refusedSimulation = (problem: string, where: readonly string[] = ['header', simulateHeader]) => {
  const message = `${simulateHeader}: ${problem}`;
  return new GatewayError('invalid_request', message, { issues: [{ path: [...where], kind: 'value', message }] });
};

function milliseconds(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  const ms = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  return ms <= maxWaitMs ? ms : undefined;
}

/**
 * The directive `what` as this dialect carries it out, or a refusal that says what it takes.
 * `source` names where it came from in the failure's message (the header, or a rule's id).
 */
export function parseSimulation(
  what: string,
  dialect: AnyDialect | undefined,
  source = `${simulateHeader}: ${what}`,
): Simulation | GatewayError {
  const simulated = (code: ErrorCode, retryAfterSeconds?: number) =>
    new GatewayError(code, `Simulated failure (${source}).`, retryAfterSeconds ? { retryAfterSeconds } : {});
  const status = /^status=(\d{3})$/.exec(what);
  if (status) {
    const code = codeByStatus[Number(status[1])];
    if (!code) return refusedSimulation(`status=${status[1]} cannot be simulated; one of ${Object.keys(codeByStatus).join(', ')}`);
    return { kind: 'error', error: simulated(code, code === 'rate_limited' ? 1 : undefined), status: Number(status[1]) };
  }
  if (what === 'rate_limit') return { kind: 'error', error: simulated('rate_limited', 1) };
  const wait = /^(latency|timeout)(?::(\d+))?$/.exec(what);
  if (wait) {
    const kind = wait[1] as 'latency' | 'timeout';
    const ms = milliseconds(wait[2], kind === 'timeout' ? defaultTimeoutMs : Number.NaN);
    if (ms === undefined || Number.isNaN(ms))
      return refusedSimulation(`${kind} takes a number of milliseconds up to ${maxWaitMs} (${kind}:2000)`);
    return kind === 'latency' ? { kind, ms } : { kind, ms, error: simulated('upstream_timeout') };
  }
  if (dialect?.wire.simulations?.[what]) return { kind: 'named', name: what };
  const named = Object.keys(dialect?.wire.simulations ?? {});
  return refusedSimulation(
    `Unknown simulation "${what}": status=<code>, rate_limit, latency:<ms>, timeout[:<ms>]${named.length > 0 ? `, ${named.join(', ')}` : ''}`,
  );
}

/** A rule as `custgate simulate add` and POST /gateway/v1/simulate take it. */
export interface SimulateRuleInput {
  /** `500`, `503`, `rate_limit`, `latency:2000`, `timeout`, `card_declined`, or `status=500`. */
  readonly status: string;
  readonly path?: string | undefined;
  readonly method?: string | undefined;
  /** `3rd`, `3` …: only every n-th matching request fails. */
  readonly every?: string | number | undefined;
  /** Only the first n matching requests fail. */
  readonly times?: string | number | undefined;
}

export interface SimulateRuleSpec {
  readonly simulate: string;
  readonly path: string | null;
  readonly method: string | null;
  readonly every: number | null;
  readonly times: number | null;
}

const count = (value: string | number | undefined, pattern: RegExp): number | null | undefined => {
  if (value === undefined) return null;
  const m = pattern.exec(String(value).trim());
  const n = m ? Number(m[1]) : 0;
  return n >= 1 && n <= 10_000 ? n : undefined;
};

/**
 * A `times` as rules (`--times`) and the header (`; times=N`) take it: 1 to 10000, null when not
 * given, undefined when refused. 0 failed nothing, a rule that never fired or a header that was
 * ignored: a test of the client's failure handling that passed without one failure.
 */
export const timesCount = (value: string | number | undefined) => count(value, /^(\d{1,5})$/);

/** The methods the dialects' routes answer (HEAD as GET); none of them answers another. */
const ruleMethods: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Checks a rule against every dialect's simulations: the rule, or what is wrong with it. */
export function simulateRule(input: SimulateRuleInput, dialects: readonly AnyDialect[]): SimulateRuleSpec | string {
  const status = input.status.trim();
  const simulate = /^\d{3}$/.test(status) ? `status=${status}` : status;
  const parsed = [undefined, ...dialects].map((d) => parseSimulation(simulate, d));
  if (parsed.every((p) => p instanceof GatewayError)) {
    const names = [...new Set(dialects.flatMap((d) => Object.keys(d.wire.simulations ?? {})))];
    // The codes by name: "one of 4xx/5xx status codes" refused 418, a 4xx status code.
    return `--status ${status}: one of the status codes ${Object.keys(codeByStatus).join(', ')}, or rate_limit, latency:<ms>, timeout[:<ms>]${names.length ? `, ${names.join(', ')}` : ''}`;
  }
  const every = count(input.every, /^(\d{1,5})(?:st|nd|rd|th)?$/);
  const times = timesCount(input.times);
  if (every === undefined) return `--every ${input.every}: a count from 1 to 10000 (3rd, 3)`;
  if (times === undefined) return `--times ${input.times}: a count from 1 to 10000`;
  if (every !== null && times !== null) return '--every and --times exclude each other';
  const path = input.path?.trim() || null;
  if (path !== null && (!path.startsWith('/') || path.length > 255 || path.includes('\u0000')))
    return `--path ${path}: a path prefix or glob starting with / (at most 255 characters)`;
  const method = input.method?.trim().toUpperCase() || null;
  // A method no request carries (a typo, POTS) made a rule that never fired, and a test of the
  // client's failure handling that passed without one failure.
  if (method !== null && !ruleMethods.includes(method)) return `--method ${input.method}: one of ${ruleMethods.join(', ')}`;
  return { simulate, path, method, every, times };
}

/** Whether a rule's path (a prefix, or a glob where `*` stands for anything) and method match a request. */
export function ruleMatches(rule: Pick<SimulateRuleSpec, 'path' | 'method'>, method: string, path: string): boolean {
  if (rule.method !== null && rule.method !== method.toUpperCase()) return false;
  if (rule.path === null) return true;
  if (!rule.path.includes('*')) return path.startsWith(rule.path);
  return globMatches(rule.path.split('*'), path);
}

/**
 * A glob's parts (split at each `*`, which stands for any run of characters) against the whole
 * text, each part at its leftmost place after the one before: linear. A RegExp of `.*`s backtracks
 * exponentially: a rule `/*a*a*a*a*a*a*a*a*a*a*a*a*b` held the event loop for 4.7 s on a request
 * path of 35 characters, and minutes on a longer one, for every tenant of the process.
 */
function globMatches(parts: readonly string[], text: string): boolean {
  const first = parts[0]!;
  const last = parts.at(-1)!;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  const end = text.length - last.length;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = text.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
