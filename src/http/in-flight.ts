import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../contract/errors.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';

// Requests in flight per client address (CUSTGATE_MAX_IN_FLIGHT_PER_ADDRESS): a client that opens
// many requests and sends their bodies slowly holds a handler (and, for writes, the body buffer)
// per request; past the limit its further requests are refused at once, in the envelope of the
// dialect that owns them, before their body is read. The count lives in memory, per process.

/** At most `max` of something open at once per client address: requests here, connections in node.ts. */
export class AddressSlots {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  /** 0 turns the limit off. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Counts one in; false (and not counted) when the address is at its limit. */
  enter(address: string): boolean {
    const n = this.#counts.get(address) ?? 0;
    if (this.#max > 0 && n >= this.#max) return false;
    this.#counts.set(address, n + 1);
    return true;
  }

  leave(address: string): void {
    const n = (this.#counts.get(address) ?? 1) - 1;
    // Deleted at zero: the map holds only addresses with requests open, so it cannot grow unbounded.
    if (n <= 0) this.#counts.delete(address);
    else this.#counts.set(address, n);
  }
}

/** Marks a request from an address past its in-flight limit; the handlers refuse it (refuseCrowded). */
export function inFlightMiddleware(
  inFlight: AddressSlots,
  clientAddress: (c: GatewayContext) => string | undefined,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const address = clientAddress(c);
    if (address === undefined) return next();
    if (!inFlight.enter(address)) {
      c.set('crowded', true);
      return next();
    }
    try {
      await next();
    } finally {
      inFlight.leave(address);
    }
  };
}

/** Tells the outbox's drain that a request is being served, so that it keeps to its share of the main thread. */
export function paceMiddleware(pace: { requestStarted(): void; requestEnded(): void }): MiddlewareHandler<GatewayEnv> {
  return async (_c, next) => {
    pace.requestStarted();
    try {
      await next();
    } finally {
      pace.requestEnded();
    }
  };
}

/** Throws the 429 a request past its address's in-flight limit gets, before anything else is done. */
export function refuseCrowded(c: GatewayContext): void {
  if (c.get('crowded') === true) {
    throw new GatewayError('rate_limited', 'Too many requests in flight from this address; retry in 1 s.', { retryAfterSeconds: 1 });
  }
}
