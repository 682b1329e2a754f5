import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { GatewayMetrics } from '../src/metrics.ts';
import { Store } from '../src/store/index.ts';
import { observedExecutor } from '../src/store/observed.ts';
import { probeAuth, testEnv } from './support/gateway.ts';
import { testStore } from './support/store.ts';
import { switchable } from './support/switchable-executor.ts';

// The operator's walk (2026-12-07) restarted PostgreSQL under a scaled-out gateway: while it was
// down, /metrics answered 503, because the gauges the server reads from the store at scrape time
// (outbox and webhook queue depths) failed the whole scrape, and with it the request counters and
// custgate_store_errors_total that count the outage. The database here goes down and comes back
// under the server the way a restarted one does: every statement fails, then answers again.

describe('/metrics and health while the database is down, and after', () => {
  let gateway: NodeGateway;
  let down: (is: boolean) => void;
  let base: string;
  beforeAll(async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const db = switchable((await testStore()).executor);
    down = db.down;
    // As `custgate serve` opens it: the store's failures counted by the metrics.
    const store = new Store(observedExecutor(db.executor, metrics.storeError));
    gateway = await startNode({ ...testEnv, CUSTGATE_DELIVERY_THREAD: 'off' }, { port: 0, store, metrics });
    base = `http://127.0.0.1:${gateway.port}`;
  });
  afterAll(async () => {
    down(false);
    await gateway?.close();
  });

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`, { headers: probeAuth });
    return { status: res.status, body: await res.text() };
  };
  const errorsIn = (body: string) => Number(/^custgate_store_errors_total (\d+)$/m.exec(body)?.[1]);
  const health = async () => {
    const res = await fetch(`${base}/gateway/v1/health`, { headers: probeAuth });
    return { status: res.status, body: await res.json() };
  };

  it('keeps answering with the probe token, counts the errors, and shows the store-read gauges as unknown', async () => {
    const up = await scrape();
    expect(up.status).toBe(200);
    expect(up.body).toMatch(/^custgate_webhook_pending 0$/m);
    expect(up.body).toMatch(/^custgate_outbox_pending 0$/m);
    const before = errorsIn(up.body);

    down(true);
    expect(await health()).toMatchObject({ status: 503, body: { status: 'degraded', database: 'unreachable' } });
    const during = await scrape();
    expect(during.status).toBe(200);
    // Unknown, not an empty queue.
    for (const gauge of [
      'custgate_outbox_pending',
      'custgate_outbox_dead',
      'custgate_webhook_pending',
      'custgate_webhook_endpoints_disabled',
    ]) {
      expect(during.body).toMatch(new RegExp(`^${gauge} Nan$`, 'm'));
    }
    expect(errorsIn(during.body)).toBeGreaterThan(before);
    expect(during.body).toMatch(/^custgate_http_requests_total\{dialect="gateway",route="\/gateway\/v1\/health",status="503"\} 1$/m);

    down(false);
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', database: 'ok' } });
    const after = await scrape();
    expect(after.status).toBe(200);
    expect(after.body).toMatch(/^custgate_webhook_pending 0$/m);
    expect(errorsIn(after.body)).toBeGreaterThanOrEqual(errorsIn(during.body));
  });
});
