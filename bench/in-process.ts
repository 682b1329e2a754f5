// The gateway as `npm start` builds it (the node logger on stdout, metrics, the SQLite writer
// thread), in the bench's own process, for scripts that measure through `app.request` without the
// network (retrieve-cpu.ts, writer-capture.ts).

import { registry } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { dialectList } from '../src/contract/registry.ts';
import { nodeLogger, openStore } from '../src/entries/node.ts';
import { createGateway } from '../src/http/app.ts';
import { GatewayMetrics } from '../src/metrics.ts';
import { replicationFor } from '../src/outbox/upstream-port.ts';
import { webhooksFor } from '../src/webhooks/index.ts';

export async function inProcessGateway(env: Record<string, string | undefined>) {
  const config = loadConfig(env);
  const metrics = new GatewayMetrics();
  const logger = nodeLogger(env);
  const store = await openStore(env, { onError: metrics.storeError });
  const all = dialectList(registry);
  const { app } = createGateway({
    store,
    config,
    registry,
    replication: replicationFor(store, config, { dialects: all }),
    webhooks: webhooksFor(store, config, all, { logger }),
    logger,
    observers: [metrics.observe],
    metrics,
    clientAddress: () => '127.0.0.1',
  });
  return { app, store, logger };
}
