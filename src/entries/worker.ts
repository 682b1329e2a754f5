import type { ExecutionContext } from 'hono';
import { createGateway, type GatewayApp } from '../http/app.ts';
import type { ImportJobs } from '../upstream/import-job.ts';
import { ConfigError, loadConfig } from '../config.ts';
import type { Dispatcher } from '../outbox/dispatcher.ts';
import { replicationFor } from '../outbox/upstream-port.ts';
import { type D1Database, D1Executor } from '../store/d1.ts';
import { Store } from '../store/index.ts';
import { registry } from '../../dialects/index.ts';
import { dialectList } from '../contract/registry.ts';
import { type WebhookDispatcher, webhooksFor } from '../webhooks/index.ts';

// The Cloudflare Workers entry. Only runtime-free modules may be imported from here (test
// worker-bundle checks the bundle): no better-sqlite3, node:fs, @hono/node-server or tsx.

/** The bindings and variables wrangler.toml (and `wrangler secret put`) give the worker. */
export interface Env {
  readonly DB: D1Database;
  readonly [variable: string]: unknown;
}

interface ScheduledController {
  readonly scheduledTime: number;
}

/** Only the string-valued entries of env are configuration; the rest are bindings. */
function variables(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

// One app per isolate, binding and configuration: building it parses config, and the API-key
// cache in it is only worth having if it outlives a request. env may be a new object on each
// request, so it is keyed by the D1 binding and the variables' values.
interface Built {
  readonly fingerprint: string;
  readonly app: GatewayApp;
  readonly store: Store;
  /** Drains the outbox on the cron trigger (each write also drains, in waitUntil). */
  readonly dispatcher: Dispatcher | undefined;
  /** Sends webhook deliveries on the cron trigger (each write also sends, in waitUntil). */
  readonly webhooks: WebhookDispatcher;
  /** Advances imports started over HTTP a few pages per cron run (src/upstream/import-job.ts). */
  readonly imports: ImportJobs;
  readonly eventRetentionDays: number;
}
const built = new WeakMap<D1Database, Built>();

export function gatewayFor(env: Env): Built {
  const vars = variables(env);
  const fingerprint = JSON.stringify(Object.entries(vars).sort());
  let gateway = built.get(env.DB);
  if (gateway?.fingerprint !== fingerprint) {
    const store = new Store(new D1Executor(env.DB));
    const config = loadConfig(vars);
    const dialects = dialectList(registry);
    const replication = replicationFor(store, config, { dialects });
    const webhooks = webhooksFor(store, config, dialects, { pace: replication.dispatcher.pace });
    const { app, runtime } = createGateway({ store, config, registry, replication, webhooks });
    gateway = {
      fingerprint,
      app,
      imports: runtime.imports,
      store,
      dispatcher: replication.dispatcher,
      webhooks: webhooks.dispatcher,
      eventRetentionDays: config.eventRetentionDays,
    };
    built.set(env.DB, gateway);
  }
  return gateway;
}

// A cron invocation may run for minutes; this leaves room to spare.
const cronDrainMs = 60_000;

/**
 * A bad variable. The Node server refuses to start with one line naming it (docs/operations.md);
 * a Worker has no start, so each request and cron run logs that line (`wrangler tail`) instead of
 * throwing (Cloudflare's error page, a stack trace), and each request is a 500 in the gateway's
 * envelope, which does not name it: anyone may read the answer.
 */
function gatewayOrMisconfigured(env: Env): Built | undefined {
  try {
    return gatewayFor(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(JSON.stringify({ level: 'error', event: 'config_invalid', time: new Date().toISOString(), message: error.message }));
    return undefined;
  }
}

const misconfigured = "The gateway is misconfigured: one of its variables is invalid. The worker's log names it (wrangler tail).";

export default {
  fetch(request: Request, env: Env, ctx?: ExecutionContext): Response | Promise<Response> {
    const gateway = gatewayOrMisconfigured(env);
    if (!gateway) {
      const error = { code: 'internal', message: misconfigured };
      return Response.json({ error }, { status: 500, headers: { 'cache-control': 'no-store' } });
    }
    // The execution context carries waitUntil: a write's outbox drain runs inside it.
    return gateway.app.fetch(request, env, ctx);
  },
  /**
   * Cron trigger (wrangler.toml): drops expired idempotency keys and old history, as node.ts does
   * hourly; drains the outbox and webhooks; advances running imports.
   */
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const gateway = gatewayOrMisconfigured(env);
    if (!gateway) return;
    await gateway.store.purgeExpiredKeys(new Date(controller.scheduledTime).toISOString());
    if (gateway.eventRetentionDays > 0) {
      const before = controller.scheduledTime - gateway.eventRetentionDays * 86_400_000;
      await gateway.store.purgeEventsBefore(new Date(before).toISOString());
    }
    const deadline = Date.now() + cronDrainMs;
    await Promise.all([gateway.dispatcher?.drain({ deadline }), gateway.webhooks.drain({ deadline }), gateway.imports.advance(deadline)]);
  },
};
