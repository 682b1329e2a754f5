import type { Context } from 'hono';
import type { AnyDialect, Principal } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { parseSimulation, ruleMatches, simulateHeader } from '../contract/simulation.ts';
import { listSimulateRules, type SimulateRuleRow } from '../store/simulate-rules.ts';
import { requestIdOf } from './access.ts';
import type { Runtime } from './runtime.ts';
import { simulated } from './simulate.ts';

export { SimulatedAnswer } from './simulate.ts';

// A tenant's simulate rules (`custgate simulate add`, /gateway/v1/simulate) for clients that cannot
// send the Custgate-Simulate header: after authentication, the tenant's first rule that matches the
// request's method and path fails it exactly as the header would (simulate.ts). Rules live in the
// database, so one added by the CLI reaches a running server; they are read at most once a second
// per tenant. Counts (`every`, `times`) are kept per server process. A request with the header is
// left to the header. With NODE_ENV=production rules are ignored, and logged once per rule.

const cacheMs = 1_000;

export class SimulateRules {
  readonly #rt: Runtime;
  readonly #cache = new Map<string, { readonly at: number; readonly rules: Promise<SimulateRuleRow[]>; read?: SimulateRuleRow[] }>();
  /** Matching requests seen per tenant, then per rule: a reset of the tenant starts its rules' counts again. */
  readonly #hits = new Map<string, Map<string, number>>();
  readonly #ignored = new Set<string>();

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  /** A rule was added or removed through this process: the next request reads the rules again. */
  changed(tenantId: string): void {
    this.#cache.delete(tenantId);
  }

  #rules(tenantId: string): Promise<SimulateRuleRow[]> {
    const now = Date.now();
    const cached = this.#cache.get(tenantId);
    if (cached && now - cached.at < cacheMs) return cached.rules;
    const rules = listSimulateRules(this.#rt.store, tenantId);
    const entry: { readonly at: number; readonly rules: Promise<SimulateRuleRow[]>; read?: SimulateRuleRow[] } = { at: now, rules };
    // A failed read is not kept: the next request tries again.
    rules.then(
      (read) => {
        entry.read = read;
      },
      () => this.#cache.delete(tenantId),
    );
    if (this.#cache.size >= 1_000) this.#cache.clear();
    this.#cache.set(tenantId, entry);
    return rules;
  }

  /** The tenant's rules when they are read and fresh, without waiting; undefined otherwise. */
  #readRules(tenantId: string): readonly SimulateRuleRow[] | undefined {
    const cached = this.#cache.get(tenantId);
    return cached && Date.now() - cached.at < cacheMs ? cached.read : undefined;
  }

  /** A reset of the tenant: its rules stay, and count their matching requests from none again. */
  reset(tenantId: string): void {
    this.#hits.delete(tenantId);
  }

  /** Whether this matching request is one the rule fails (its every-n-th, or one of its first n). */
  #due(rule: SimulateRuleRow): boolean {
    const hits = this.#hits.get(rule.tenant_id) ?? new Map<string, number>();
    this.#hits.set(rule.tenant_id, hits);
    const n = (hits.get(rule.id) ?? 0) + 1;
    hits.set(rule.id, n);
    if (rule.every !== null) return n % rule.every === 0;
    if (rule.times !== null) return n <= rule.times;
    return true;
  }

  /**
   * Runs after authentication: throws the failure a matching rule makes, or waits out its latency.
   * Undefined, without a promise, when the tenant's rules are known to be none: every request
   * waited a turn of the event loop for that.
   */
  apply(c: Context, dialect: AnyDialect, principal: Principal): Promise<void> | undefined {
    if (c.req.header(simulateHeader) !== undefined) return undefined;
    if (this.#readRules(principal.tenantId)?.length === 0) return undefined;
    return this.#apply(c, dialect, principal);
  }

  async #apply(c: Context, dialect: AnyDialect, principal: Principal): Promise<void> {
    const rules = await this.#rules(principal.tenantId);
    if (rules.length === 0) return;
    const rule = rules.find((r) => ruleMatches(r, c.req.method, c.req.path));
    if (!rule) return;
    if (this.#rt.config.production) {
      if (!this.#ignored.has(rule.id)) {
        this.#ignored.add(rule.id);
        // With the id of the request that met it (logged once per rule), as simulate.ts does.
        const fields = { request_id: requestIdOf(c) ?? null, dialect: dialect.name, reason: 'NODE_ENV=production', rule: rule.id };
        this.#rt.logger.error('simulate_rule_ignored', fields);
      }
      return;
    }
    // A named failure another provider has (card_declined on Zenskar): this dialect goes through.
    const simulation = parseSimulation(rule.simulate, dialect, `simulate rule ${rule.id}: ${rule.simulate}`);
    if (simulation instanceof GatewayError || !this.#due(rule)) return;
    await simulated(simulation, dialect);
  }
}
