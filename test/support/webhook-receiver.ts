import { createServer, type Server } from 'node:http';

// A real local HTTP receiver for webhook tests: records every request (headers and exact body) and
// answers with whatever status the test sets, so deliveries, retries and order are observed on
// the wire, as a user's endpoint would see them.

export interface Received {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly path: string;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** The status the next requests get (default 200). */
  status: number;
  /** How long each answer is held back (a slow receiver), in ms. */
  delayMs: number;
  /** The most requests it has had in flight at once. */
  readonly maxInFlight: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const state = { status: 200, delayMs: 0, inFlight: 0, maxInFlight: 0, connections: 0 };
  const server: Server = createServer((req, res) => {
    state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight);
    res.on('finish', () => state.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      if (state.status >= 200 && state.status < 300)
        received.push({ headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '' });
      res.statusCode = state.status;
      setTimeout(() => res.end('ok'), state.delayMs);
    });
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const receiver: Receiver = {
    url: `http://127.0.0.1:${address.port}/hooks`,
    received,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get connections() {
      return state.connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return receiver;
}
