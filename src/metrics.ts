import client from 'prom-client';
import type { AccessEntry } from './logger.ts';

// Prometheus metrics for the Node server (GET /metrics). Workers have no scrape endpoint: use
// Workers Analytics or the JSON access lines there. Each process has its own registry; with
// --workers a scrape reaches one worker, so sum by instance (docs/operations.md).

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class GatewayMetrics {
  readonly registry = new client.Registry();
  readonly #requests = new client.Counter({
    name: 'custgate_http_requests_total',
    help: 'HTTP requests answered, by dialect, route pattern and status',
    labelNames: ['dialect', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly #latency = new client.Histogram({
    name: 'custgate_http_request_duration_seconds',
    help: 'Time from request to response, by dialect and route pattern',
    labelNames: ['dialect', 'route'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  readonly #storeErrors = new client.Counter({
    name: 'custgate_store_errors_total',
    help: 'Store operations that failed for a reason other than a conflict (connection, disk, timeout)',
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) client.collectDefaultMetrics({ register: this.registry, prefix: 'custgate_' });
  }

  readonly observe = (entry: AccessEntry): void => {
    this.#requests.inc({ dialect: entry.dialect, route: entry.route, status: String(entry.status) });
    this.#latency.observe({ dialect: entry.dialect, route: entry.route }, entry.duration_ms / 1000);
  };

  readonly storeError = (): void => {
    this.#storeErrors.inc();
  };

  /**
   * A gauge read at scrape time (node.ts: the outbox's pending and dead deliveries). One of the same
   * name is replaced: a server started again on the same metrics reads its own store. A read that
   * fails shows as NaN for that scrape.
   */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    this.registry.removeSingleMetric(name);
    new client.Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        // A read that fails (the database restarting) must not fail the scrape: that would take the
        // request counters and custgate_store_errors_total, which count the outage, with it. NaN
        // says the value is unknown; 0 would say the queue is empty. The store counts the error.
        try {
          this.set(await read());
        } catch {
          this.set(Number.NaN);
        }
      },
    });
  }

  async render(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
