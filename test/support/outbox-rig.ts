import { loadConfig } from '../../src/config.ts';
import { Dispatcher } from '../../src/outbox/dispatcher.ts';
import type { DeliveryOutcome, DeliveryWork, ReplicaTarget, UpstreamPort } from '../../src/outbox/types.ts';
import type { Store } from '../../src/store/index.ts';
import { FakeUpstream } from './fake-upstream.ts';
import { testEnv } from './gateway.ts';
import { createApp, createTenant, registeredDialects } from './registered.ts';

// A gateway whose tenant mirrors to a fake upstream (Zenskar), its outbox drained by the test
// alone (no drain after a write): what a test of the outbox's rounds needs around them.

/** Sends one delivery; `upstream` is the fake that records what it got. */
type Deliver = (work: DeliveryWork, signal: AbortSignal, upstream: FakeUpstream) => Promise<DeliveryOutcome>;

export async function outboxRig(store: Store, tenantName: string, deliver: Deliver = (w, s, u) => u.deliver(w, s)) {
  const config = loadConfig(testEnv);
  const upstream = new FakeUpstream();
  const replicas = new Map<string, ReplicaTarget[]>();
  const lookup = async (tenantId: string) => replicas.get(tenantId) ?? [];
  const port: UpstreamPort = {
    deliver: (work, signal) => deliver(work, signal, upstream),
    read: (tenantId, target, customerId, base) => upstream.read(tenantId, target, customerId, base),
    expected: (...a) => upstream.expected(...a),
  };
  const dispatcher = new Dispatcher({ store, port, replicas: lookup, dialects: registeredDialects });
  const app = createApp({
    store,
    config,
    logger: { error: () => undefined },
    replication: { replicas: lookup, dispatcher, drainAfterWrite: false },
  });
  /** A tenant mirroring to `upstreamId` (every upstream is the one fake), with its WooshPay auth header. */
  const mirrorTenant = async (name: string, upstreamId: string) => {
    const tenant = await createTenant(store, config, name);
    replicas.set(tenant.tenant.id, [{ id: upstreamId, dialect: 'zenskar', mode: 'mirror' }]);
    return { tenant, auth: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` } };
  };
  const { tenant, auth } = await mirrorTenant(tenantName, 'up_r');
  return { app, dispatcher, upstream, tenant, auth, mirrorTenant };
}
