import { applyPatch } from '../../src/core/apply-patch.ts';
import type { DeliveryOutcome, DeliveryWork, ReplicaTarget, UpstreamCopy, UpstreamPort } from '../../src/outbox/types.ts';
import { type CustomerFields, fieldDefaults } from '../../schemas/index.ts';

// An in-memory upstream behind the outbox's port: it keeps a copy per customer, records every
// delivery in the order it arrived (and how many ran at once), and fails on demand. The real
// port (the dialects' client halves against a second gateway process) is tested in test/mirror-*.

export type Fault = (work: DeliveryWork) => DeliveryOutcome | undefined;

export class FakeUpstream implements UpstreamPort {
  readonly copies = new Map<string, CustomerFields>();
  /** Every delivery that reached the upstream, in arrival order. */
  readonly received: DeliveryWork[] = [];
  readonly creates = new Map<string, number>();
  inFlight = new Map<string, number>();
  maxConcurrentSameDelivery = 0;
  faults: Fault[] = [];
  delayMs = 0;

  async deliver(work: DeliveryWork, signal: AbortSignal): Promise<DeliveryOutcome> {
    const fault = this.faults.shift()?.(work);
    if (fault) return fault;
    const key = `${work.upstream.id}/${work.customerId}/v${work.version}`;
    const running = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, running);
    this.maxConcurrentSameDelivery = Math.max(this.maxConcurrentSameDelivery, running);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      signal.throwIfAborted();
      this.received.push(work);
      const current = this.copies.get(work.customerId);
      if (work.action === 'create' && !current) this.creates.set(work.customerId, (this.creates.get(work.customerId) ?? 0) + 1);
      this.copies.set(work.customerId, applyPatch(current ?? fieldDefaults, work.patch));
      return { kind: 'delivered' };
    } finally {
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    }
  }

  async read(_tenantId: string, _upstream: ReplicaTarget, customerId: string, _base: CustomerFields): Promise<UpstreamCopy | undefined> {
    const copy = this.copies.get(customerId);
    return copy ? { fields: copy, version: null } : undefined;
  }

  expected(
    _upstream: ReplicaTarget,
    _customerId: string,
    fields: CustomerFields,
    _there: Partial<CustomerFields>,
  ): Partial<CustomerFields> {
    return fields;
  }

  /** Versions received per customer, in arrival order. */
  versions(customerId: string): number[] {
    return this.received.filter((w) => w.customerId === customerId).map((w) => w.version);
  }
}
