import type { Context } from 'hono';
import { BoundedMap } from '../contract/bounded-map.ts';
import type { AnyDialect, Principal } from '../contract/dialect.ts';
import { errorHeaders, GatewayError } from '../contract/errors.ts';
import { parseSimulation, refusedSimulation, type Simulation, simulateHeader, timesCount } from '../contract/simulation.ts';
import { requestIdOf } from './access.ts';
import type { Runtime } from './runtime.ts';

// Error injection for a dev server: `Custgate-Simulate: <what>[; times=N]` on a dialect request
// makes it fail or slow down the way the provider would, in its envelope, status and headers (what
// it takes: src/contract/simulation.ts). A request with an Idempotency-Key fails on its first N
// attempts (default 1; N from 1 to 10000, as a rule's --times) and goes through on the next, as a transient failure does for an SDK that
// retries; without a key, every attempt fails. It takes effect after authentication. With
// NODE_ENV=production the header is ignored, and logged. A tenant's simulate rules
// (simulate-rules.ts) do the same for clients without the header.

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
  if (simulation.kind === 'error') return asAsked(simulation, dialect);
  const { status, body } = dialect.wire.simulations![simulation.name]!;
  return Response.json(body, { status });
}

/**
 * A `status=<code>` answers that code, in the dialect's envelope for the error it stands for, also
 * where the dialect answers that error at another status: Zenskar (FastAPI) answers a body of
 * another media type, and a refusal naming no field, as a 422, and status=415 or status=400 did too.
 */
function asAsked(simulation: Extract<Simulation, { kind: 'error' }>, dialect: AnyDialect): GatewayError | Response {
  const { error, status } = simulation;
  if (status === undefined) return error;
  const rendered = dialect.wire.renderError(error);
  return rendered.status === status ? error : Response.json(rendered.body, { status, headers: errorHeaders(error) });
}

/** A simulated answer that is not an error of the gateway's (a provider's own failure body). */
export class SimulatedAnswer extends Error {
  readonly response: Response;
  constructor(response: Response) {
    super('simulated answer');
    this.response = response;
  }
}

/** Throws the answer a simulation makes, or waits out its latency. */
export async function simulated(simulation: Simulation, dialect: AnyDialect): Promise<void> {
  const outcome = await carryOut(simulation, dialect);
  if (outcome === undefined) return;
  throw outcome instanceof GatewayError ? outcome : new SimulatedAnswer(outcome);
}

/**
 * The header, once the caller is known (src/http/pipeline.ts, after authentication, as the rules
 * run): a credential no tenant has is refused as the provider refuses it. The attempts of an
 * Idempotency-Key are counted per tenant and mode, as a provider scopes the key itself (Stripe:
 * per account, https://docs.stripe.com/api/idempotent_requests), and a reset of the tenant starts
 * them again, as it forgets the keys; before, one count served every tenant, was spent by refused
 * credentials, and outlived a reset.
 */
export class SimulateHeader {
  readonly #rt: Runtime;
  /** Attempts seen per tenant, mode, dialect, key and header, bounded: the oldest is forgotten first. */
  readonly #seen = new BoundedMap<string, number>(10_000);
  /** Bumped by each reset of a tenant: its earlier counts are no longer found (and age out). */
  readonly #generation = new BoundedMap<string, number>(10_000);

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  /** A reset of the tenant: its attempts are counted from none again. */
  reset(tenantId: string): void {
    this.#generation.set(tenantId, (this.#generation.get(tenantId) ?? 0) + 1);
  }

  /** Undefined, without a promise, for a request without the header (nearly all). */
  apply(c: Context, dialect: AnyDialect, principal: Principal): Promise<void> | undefined {
    const header = c.req.header(simulateHeader)?.trim();
    return header ? this.#apply(c, dialect, principal, header) : undefined;
  }

  async #apply(c: Context, dialect: AnyDialect, principal: Principal, header: string): Promise<void> {
    if (this.#rt.config.production) {
      // With the id the response's header gives, as every other per-request line (request-log.ts).
      const fields = {
        request_id: requestIdOf(c) ?? null,
        dialect: dialect.name,
        reason: 'NODE_ENV=production',
        value: header.slice(0, 100),
      };
      this.#rt.logger.error('simulate_ignored', fields);
      return;
    }
    const [what = '', ...options] = header.split(';').map((part) => part.trim());
    const given = options.map((o) => /^times=(.*)$/.exec(o)?.[1]).find((t) => t !== undefined);
    if (options.length > (given === undefined ? 0 : 1)) throw refusedSimulation(`The only option is times=<n>: ${header}`);
    const times = timesCount(given);
    if (times === undefined) throw refusedSimulation(`times=${given}: a count from 1 to 10000`);
    const simulation = parseSimulation(what, dialect);
    if (simulation instanceof GatewayError) throw simulation;
    const key = c.req.header('idempotency-key');
    if (simulation.kind !== 'latency' && key !== undefined) {
      const { tenantId, livemode } = principal;
      const counted = `${tenantId} ${this.#generation.get(tenantId) ?? 0} ${livemode ? 'live' : 'test'} ${dialect.name} ${key} ${header}`;
      const n = (this.#seen.get(counted) ?? 0) + 1;
      this.#seen.set(counted, n);
      if (n > (times ?? 1)) return;
    }
    await simulated(simulation, dialect);
  }
}
