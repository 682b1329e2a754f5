import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';

/** One kind of request, rebuilt for every send when it has `next` (a new customer, a new body). */
export interface Workload {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Path and body for the next request. */
  readonly next?: () => { readonly path: string; readonly body?: string | undefined };
}

export interface Measured {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  readonly errors: number;
  readonly total: number;
  /** Paced rows only: how late the pacer sent, and the slow requests, for the tail's attribution. */
  readonly paced?: PacedDetail;
}

export interface PacedDetail {
  /** How late after its due time each request was handed to the HTTP agent, ms (the pacer's own delay). */
  readonly lateP99: number;
  readonly lateMax: number;
  readonly lateOver5: number;
  /**
   * Every request answered more than `slowMs` after it was due: its due time (ms since the epoch),
   * latency, how late it was sent, and the `x-request-id` it was sent with (a server's request trace is keyed by it).
   */
  readonly slow: readonly { readonly due: number; readonly ms: number; readonly late: number; readonly id?: string }[];
}

/** A request slower than this is one of the tail's (issue #30's target is a p99 of 5 ms). */
export const slowMs = 5;

export interface LoadOptions {
  readonly connections: number;
  readonly durationSeconds: number;
  /** A fixed offered load (autocannon's overallRate, requests per second) instead of saturation. */
  readonly rate?: number;
}

export async function measure(url: string, work: Workload, options: LoadOptions): Promise<Measured> {
  if (options.rate) return paced(url, work, { ...options, rate: options.rate });
  const { next } = work;
  const request: autocannon.Request = { method: work.method as autocannon.Request['method'], path: work.path, headers: work.headers };
  if (work.body !== undefined) request.body = work.body;
  if (next) {
    request.setupRequest = (req) => {
      const n = next();
      req.path = n.path;
      if (n.body !== undefined) req.body = n.body;
      return req;
    };
  }
  const latencies = new LatencyHistogram();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        duration: options.durationSeconds,
        requests: [request],
        ...(options.rate ? { overallRate: options.rate } : {}),
        // A slow server shows as latency, not as timeouts.
        timeout: 30,
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    // autocannon's own histogram keeps whole milliseconds; these are hrtime-precise.
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.record(ms);
    });
  });
  return {
    rps: result.requests.total / Math.max(result.duration, 1e-9),
    p50: latencies.percentile(50),
    p99: latencies.percentile(99),
    errors: result.non2xx + result.errors,
    total: result.requests.total,
  };
}

/**
 * An open-loop load at a fixed rate: request i is sent at start + i/rate, whether or not earlier
 * ones were answered, over at most `connections` keep-alive sockets. autocannon's overallRate is
 * not that: each connection sends its share of the second back to back as soon as the second
 * starts (node_modules/autocannon/lib/httpClient.js, `reqsMadeThisSecond`), so 500 req/s over 32
 * connections is a saturating burst of 500 once a second, and its p99 is the burst's queueing
 * (32 ÷ the server's capacity), not the latency at that rate. Latency is taken from the moment a
 * request is due, so a request the generator sent late, or that waited for a free socket, is
 * charged its wait (no coordinated omission).
 */
async function paced(url: string, work: Workload, options: LoadOptions & { readonly rate: number }): Promise<Measured> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies = new LatencyHistogram();
  const lateness = new LatencyHistogram();
  const slow: { due: number; ms: number; late: number; id: string }[] = [];
  const total = Math.max(1, Math.round(options.rate * options.durationSeconds));
  const interval = 1000 / options.rate;
  let sent = 0;
  let settled = 0;
  let errors = 0;
  const start = performance.now();
  try {
    await new Promise<void>((resolve) => {
      const finish = (due: number, late: number, ok: boolean, id: string) => {
        const ms = performance.now() - due;
        if (ok) latencies.record(ms);
        else errors++;
        if (ms > slowMs) slow.push({ due: performance.timeOrigin + due, ms, late, id });
        if (++settled === total) resolve();
      };
      const send = (due: number, id: string) => {
        const late = performance.now() - due;
        lateness.record(late);
        let answered = false;
        // A socket error after the response began reaches both the request and the response.
        const once = (ok: boolean) => {
          if (answered) return;
          answered = true;
          finish(due, late, ok, id);
        };
        const n = work.next?.();
        const body = n?.body ?? work.body;
        // Named, so a server tracing its requests (CUSTGATE_REQUEST_TRACE) can be joined with the slow ones.
        const named = { ...work.headers, 'x-request-id': id };
        const headers = body === undefined ? named : { ...named, 'content-length': String(Buffer.byteLength(body)) };
        const req = httpRequest(
          { host: target.hostname, port: target.port, method: work.method, path: n?.path ?? work.path, headers, agent, timeout: 30_000 },
          (res) => {
            res.resume();
            res.on('end', () => once(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300));
            res.on('error', () => once(false));
          },
        );
        req.on('error', () => once(false));
        req.on('timeout', () => req.destroy());
        req.end(body);
      };
      const tick = () => {
        const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
        for (; sent < due; sent++) send(start + sent * interval, `pace-${sent}`);
        if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      };
      tick();
    });
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    rps: (total - errors) / seconds,
    p50: latencies.percentile(50),
    p99: latencies.percentile(99),
    errors,
    total,
    paced: { lateP99: lateness.percentile(99), lateMax: lateness.max(), lateOver5: lateness.over(slowMs), slow },
  };
}

/** 10 µs buckets up to 1 s, then exact values: cheap enough to record every response. */
class LatencyHistogram {
  readonly #buckets = new Uint32Array(100_000);
  readonly #over: number[] = [];
  #count = 0;

  record(ms: number): void {
    const bucket = Math.floor(ms * 100);
    if (bucket < this.#buckets.length) this.#buckets[bucket]! += 1;
    else this.#over.push(ms);
    this.#count++;
  }

  max(): number {
    if (this.#over.length > 0) return Math.max(...this.#over);
    for (let i = this.#buckets.length - 1; i >= 0; i--) if (this.#buckets[i]! > 0) return (i + 1) / 100;
    return Number.NaN;
  }

  /** How many recorded values are above `ms` (to the bucket's 10 µs). */
  over(ms: number): number {
    let n = this.#over.length;
    for (let i = Math.floor(ms * 100) + 1; i < this.#buckets.length; i++) n += this.#buckets[i]!;
    return n;
  }

  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * this.#count);
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen >= rank) return (i + 1) / 100;
    }
    const over = [...this.#over].sort((a, b) => a - b);
    return over[rank - seen - 1] ?? Number.NaN;
  }
}

/** Sends one request as the workload would, so a broken row says why before it is measured. */
export async function probe(url: string, work: Workload): Promise<{ readonly status: number; readonly text: string }> {
  const n = work.next?.();
  const body = n?.body ?? work.body;
  const res = await fetch(new URL(n?.path ?? work.path, url), {
    method: work.method,
    headers: work.headers,
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, text: (await res.text()).slice(0, 300) };
}
