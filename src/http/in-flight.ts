import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../contract/errors.ts';
import type { RequestWatch } from '../outbox/drain-pace.ts';
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

/**
 * Counts each request in flight: per client address, marking one past its address's limit (the
 * handlers refuse it: refuseCrowded); and, for the drains' pace, every request, with an address or
 * without (src/outbox/drain-pace.ts). One middleware on every request, not one per tracker.
 */
export function inFlightMiddleware(
  inFlight: AddressSlots,
  clientAddress: (c: GatewayContext) => string | undefined,
  watch?: RequestWatch,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const address = clientAddress(c);
    const slot = address !== undefined && inFlight.enter(address) ? address : undefined;
    if (address !== undefined && slot === undefined) c.set('crowded', true);
    if (slot === undefined && !watch) return next();
    watch?.requestStarted();
    try {
      await next();
    } finally {
      watch?.requestEnded();
      if (slot !== undefined) inFlight.leave(slot);
    }
  };
}

/** Throws the 429 a request past its address's in-flight limit gets, before anything else is done. */
export function refuseCrowded(c: GatewayContext): void {
  if (c.get('crowded') === true) {
    throw new GatewayError('rate_limited', 'Too many requests in flight from this address; retry in 1 s.', { retryAfterSeconds: 1 });
  }
}
