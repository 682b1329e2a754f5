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
  const tenant = await createTenant(store, config, tenantName);
  replicas.set(tenant.tenant.id, [{ id: 'up_r', dialect: 'zenskar', mode: 'mirror' }]);
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  return { app, dispatcher, upstream, tenant, auth };
}
