import type { Context } from 'hono';
import { BoundedMap } from '../contract/bounded-map.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { parseSimulation, refusedSimulation, type Simulation, simulateHeader } from '../contract/simulation.ts';
import type { Handler } from './context.ts';
import type { Runtime } from './runtime.ts';

// Error injection for a dev server: `Custgate-Simulate: <what>[; times=N]` on a dialect request
// makes it fail or slow down the way the provider would, in its envelope, status and headers (what
// it takes: src/contract/simulation.ts). A request with an Idempotency-Key fails on its first N
// attempts (default 1) and goes through on the next, as a transient failure does for an SDK that
// retries; without a key, every attempt fails. With NODE_ENV=production the header is ignored, and
// logged. A tenant's simulate rules (simulate-rules.ts) do the same for clients without the header.

export { simulateHeader } from '../contract/simulation.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Carries a simulation out: resolves to undefined when the request then goes through (after a
 * latency), or to the answer it fails with.
 */
export async function carryOut(simulation: Simulation, dialect: AnyDialect): Promise<GatewayError | Response | undefined> {
  if (simulation.kind === 'latency') {
    await sleep(simulation.ms);
    return undefined;
  }
  if (simulation.kind === 'timeout') {
    await sleep(simulation.ms);
    return simulation.error;
  }
  if (simulation.kind === 'error') return simulation.error;
  const { status, body } = dialect.wire.simulations![simulation.name]!;
  return Response.json(body, { status });
}

/** Attempts seen per Idempotency-Key, bounded: the oldest is forgotten first. */
class Attempts {
  readonly #seen = new BoundedMap<string, number>(10_000);
  next(key: string): number {
    const n = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, n);
    return n;
  }
}

/** Wraps a dialect's handlers so the simulate header takes effect (not in production). */
export function simulator(rt: Runtime): (dialect: AnyDialect, handler: Handler, fail: (error: unknown) => Response) => Handler {
  const attempts = new Attempts();
  return (dialect, handler, fail) => {
    const simulated = simulate(rt, attempts, dialect, handler, fail);
    // Not an async function: a request without the header (nearly all) goes straight to its
    // handler's promise instead of one wrapped around it.
    return (c: Context) => {
      const header = c.req.header(simulateHeader)?.trim();
      return header ? simulated(c, header) : handler(c);
    };
  };
}

function simulate(rt: Runtime, attempts: Attempts, dialect: AnyDialect, handler: Handler, fail: (error: unknown) => Response) {
  return async (c: Context, header: string): Promise<Response> => {
    if (rt.config.production) {
      rt.logger.error('simulate_ignored', { dialect: dialect.name, reason: 'NODE_ENV=production', value: header.slice(0, 100) });
      return handler(c);
    }
    const [what = '', ...options] = header.split(';').map((part) => part.trim());
    const times = options.map((o) => /^times=(\d{1,4})$/.exec(o)).find((m) => m)?.[1];
    if (options.length > (times === undefined ? 0 : 1)) return fail(refusedSimulation(`The only option is times=<n>: ${header}`));
    const simulation = parseSimulation(what, dialect);
    if (simulation instanceof GatewayError) return fail(simulation);
    const key = c.req.header('idempotency-key');
    if (simulation.kind !== 'latency' && key !== undefined && attempts.next(`${dialect.name} ${key} ${header}`) > Number(times ?? 1))
      return handler(c);
    const outcome = await carryOut(simulation, dialect);
    if (outcome === undefined) return handler(c);
    return outcome instanceof GatewayError ? fail(outcome) : outcome;
  };
}
