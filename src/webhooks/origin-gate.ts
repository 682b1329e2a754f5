// At most `limit` sends in flight to one origin (scheme, host and port), for a transport that has
// no such bound of its own: `fetch` (Workers, and Node with CUSTGATE_UPSTREAM_TRANSPORT=fetch). A
// fetch reuses idle kept-alive connections but opens another one for each request beyond them, so
// a round of a hundred events to one receiver would otherwise open a hundred connections to it at
// once. Node's own transport caps its agent's sockets per origin (CUSTGATE_UPSTREAM_SOCKETS) and
// the dispatcher keeps no gate over it, so one setting owns the bound.

interface Origin {
  active: number;
  readonly waiting: (() => void)[];
}

export class OriginGate {
  readonly #limit: number;
  readonly #origins = new Map<string, Origin>();

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Runs `send` once fewer than `limit` sends to the URL's origin are in flight. */
  async run<T>(url: string, send: () => Promise<T>): Promise<T> {
    const key = new URL(url).origin;
    let origin = this.#origins.get(key);
    if (!origin) {
      origin = { active: 0, waiting: [] };
      this.#origins.set(key, origin);
    }
    const o = origin;
    if (o.active >= this.#limit) await new Promise<void>((resolve) => o.waiting.push(resolve));
    else o.active++;
    try {
      return await send();
    } finally {
      const next = o.waiting.shift();
      // The slot passes to the next waiter as it is; the last one out forgets the origin.
      if (next) next();
      else if (--o.active === 0) this.#origins.delete(key);
    }
  }
}
