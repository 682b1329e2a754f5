import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A fault-injecting HTTP proxy for the mirror tests: it stands between gateway A's dispatcher and
// gateway B (playing the provider) and, at random (seeded), drops the connection before or after
// forwarding, answers 500 or 429 with Retry-After without forwarding, or forwards and then stalls
// past the caller's timeout. It logs every request B answered, in the order B answered them, so a
// test can check what B applied and in which order, and how many were sent at once per delivery.

export type FaultKind = 'drop_before' | 'drop_after' | 'error_500' | 'throttle_429' | 'stall';

export interface FaultProxyOptions {
  readonly target: string;
  /** Chance that a request gets a fault, 0..1. */
  readonly rate: number;
  readonly seed: number;
  /** How long a stalled request is held before its connection is dropped. */
  readonly stallMs: number;
  readonly retryAfterSeconds?: number;
  /** The request header that names a delivery (for overlap and order checks). */
  readonly deliveryHeader?: string;
}

export interface Forwarded {
  readonly method: string;
  readonly path: string;
  readonly delivery: string | undefined;
  readonly status: number;
  /** Whether the caller got B's answer (false: the proxy dropped or stalled it). */
  readonly answered: boolean;
}

/** mulberry32: small, seeded, good enough to pick faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kinds: readonly FaultKind[] = ['drop_before', 'drop_after', 'error_500', 'throttle_429', 'stall'];

export class FaultProxy {
  readonly faults: Record<FaultKind, number> = { drop_before: 0, drop_after: 0, error_500: 0, throttle_429: 0, stall: 0 };
  readonly forwarded: Forwarded[] = [];
  /** Deliveries whose sender had two requests open for them at the same moment. */
  readonly overlaps: string[] = [];
  enabled = true;
  readonly #options: FaultProxyOptions;
  readonly #random: () => number;
  readonly #inFlight = new Map<string, number>();
  #server: Server | undefined;
  #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: FaultProxyOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed);
  }

  get injected(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #pick(): FaultKind | undefined {
    if (!this.enabled || this.#random() >= this.#options.rate) return undefined;
    return kinds[Math.floor(this.#random() * kinds.length)];
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A delivery is "being sent" while its sender's request is open: from arrival until the answer
    // went out or the sender gave up (its timeout closes the connection). Two at once is a double
    // send; a provider still working on an abandoned request is not the sender's doing.
    const header = this.#options.deliveryHeader ?? 'x-custgate-delivery';
    const delivery = req.headers[header] as string | undefined;
    if (delivery) {
      const running = (this.#inFlight.get(delivery) ?? 0) + 1;
      this.#inFlight.set(delivery, running);
      if (running > 1) this.overlaps.push(delivery);
      res.once('close', () => this.#inFlight.set(delivery, (this.#inFlight.get(delivery) ?? 1) - 1));
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fault = this.#pick();
    if (fault) this.faults[fault]++;
    if (fault === 'drop_before') return void req.socket.destroy();
    if (fault === 'error_500') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"detail":"injected"}');
    if (fault === 'throttle_429') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(this.#options.retryAfterSeconds ?? 1) });
      return void res.end('{"detail":"slow down"}');
    }
    let upstream: { status: number; headers: IncomingMessage['headers']; body: Buffer };
    try {
      upstream = await this.#forward(req, body);
    } catch {
      req.socket.destroy();
      return;
    }
    const answered = fault !== 'drop_after' && fault !== 'stall';
    this.forwarded.push({ method: req.method ?? '', path: req.url ?? '', delivery, status: upstream.status, answered });
    if (fault === 'drop_after') return void req.socket.destroy();
    if (fault === 'stall') {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        req.socket.destroy();
      }, this.#options.stallMs);
      this.#timers.add(timer);
      return;
    }
    const headers = { ...upstream.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(upstream.status, headers).end(upstream.body);
  }

  #forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    const target = new URL(req.url ?? '/', this.#options.target);
    return new Promise((resolve, reject) => {
      const out = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(parts) }));
        answer.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }
}
