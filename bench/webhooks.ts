import { join } from 'node:path';
import { dialects } from '../dialects/index.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { cliJson, gatewayEnv, type Section, serve, until, watchFile } from './gateways.ts';
import { type LoadOptions, measure } from './load.ts';
import { runChild, startChild } from './processes.ts';
import { updateWorkload } from './workloads.ts';

// Issue #28's row: a tenant's webhook events delivered to a local receiver (bench/webhook-receiver.ts,
// its own process, checking each Stripe-Signature with the stripe package as a user's handler would)
// while Wooshpay updates run at saturation against one `custgate serve` on SQLite. Measured:
// events delivered per second during the updates, the time from each event's commit (its
// webhook_deliveries row, written in the update's transaction) to its arrival, and the updates'
// throughput with the endpoint against the same updates before it was added.

export const webhookTargets = { p99Ms: 1000 } as const;

const percentile = (sorted: readonly number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

export async function webhookSection(dir: string, customers: number, load: LoadOptions, log: (text: string) => void): Promise<Section> {
  const file = join(dir, 'webhooks.db');
  const env = gatewayEnv(file);
  log(`webhook row: ${customers.toLocaleString('en-US')} customers, ${load.connections} connections, ${load.durationSeconds} s`);
  const preloaded = JSON.parse(await runChild(['bench/preload.ts', String(customers)], env, 30 * 60_000)) as {
    tenantId: string;
    credentials: Record<string, IssuedCredentials>;
  };
  const receiver = await startChild(['--import', 'tsx', 'bench/webhook-receiver.ts'], {}, /"port"/, { timeoutMs: 60_000 });
  const receiverBase = `http://127.0.0.1:${(JSON.parse(receiver.line) as { port: number }).port}`;
  const receiverUrl = `${receiverBase}/hooks`;
  const received = async () => {
    const r = (await (await fetch(`${receiverBase}/arrivals`)).json()) as {
      arrivals: [string, number][];
      duplicates: number;
      forged: number;
    };
    return { ...r, arrivals: new Map(r.arrivals) };
  };
  const gateway = await serve(env);
  const watch = watchFile(file);
  try {
    const wooshpay = dialects.wooshpay;
    const credentials = preloaded.credentials.wooshpay!;
    await measure(gateway.url, updateWorkload(wooshpay, credentials, customers, 3), { ...load, durationSeconds: 3 });
    const off = await measure(gateway.url, updateWorkload(wooshpay, credentials, customers, 5), load);
    log(`  updates without an endpoint: ${Math.round(off.rps)} req/s`);
    const endpoint = await cliJson<{ id: string; secret: string }>(
      ['webhook', 'add', preloaded.tenantId, '--url', receiverUrl, '--format', 'stripe'],
      env,
    );
    await fetch(`${receiverBase}/secret`, { method: 'POST', body: endpoint.secret });
    // A tenant found without endpoints is not looked up again for 1 s (src/webhooks/); past that, every write emits.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const started = Date.now();
    const on = await measure(gateway.url, updateWorkload(wooshpay, credentials, customers, 7), load);
    const ended = Date.now();
    const duringRun = [...(await received()).arrivals.values()].filter((t) => t <= ended).length;
    log(`  updates with an endpoint: ${Math.round(on.rps)} req/s; ${duringRun} events arrived meanwhile`);
    const pending = () => watch.count("select count(*) from webhook_deliveries where endpoint_id = ? and state = 'pending'", endpoint.id);
    const drained = await until(() => pending() === 0, 10 * 60_000, 250);
    const drainedAt = Date.now();
    const committed = watch.all<{ customer_id: string; version: number; created_at: string }>(
      'select customer_id, version, created_at from webhook_deliveries where endpoint_id = ?',
      endpoint.id,
    );
    const { arrivals, duplicates, forged } = await received();
    const lags: number[] = [];
    let missing = 0;
    for (const row of committed) {
      const arrived = arrivals.get(`evt_${row.customer_id.replaceAll('-', '')}v${row.version}`);
      if (arrived === undefined) missing++;
      else lags.push(arrived - Date.parse(row.created_at));
    }
    lags.sort((a, b) => a - b);
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    const seconds = (ended - started) / 1000;
    const share = on.rps / off.rps;
    log(`  commit to delivery p50 ${p50} ms, p99 ${p99} ms; ${committed.length} events, ${missing} missing`);
    return {
      title: `Webhooks (issue #28): events to a local receiver while updates run`,
      header: ['row', 'updates/s', 'update ratio', 'events', 'events/s during the updates', 'commit → delivery p50 ms', 'p99 ms'],
      rows: [
        ['baseline: wooshpay update, no endpoint', String(Math.round(off.rps)), '–', '–', '–', '–', '–'],
        [
          'wooshpay update, one Stripe-format endpoint',
          String(Math.round(on.rps)),
          `${share.toFixed(2)}×`,
          String(committed.length),
          (duringRun / seconds).toFixed(0),
          String(p50),
          String(p99),
        ],
      ],
      notes: [
        `${customers.toLocaleString('en-US')} customers (BENCH_WEBHOOK_BOOK), ${load.connections} connections (BENCH_CONNECTIONS), ${load.durationSeconds} s per row (BENCH_DURATION) after 3 s of warm-up without the endpoint.`,
        `Every event committed was delivered ${drained ? `(the last ${((drainedAt - ended) / 1000).toFixed(1)} s after the updates stopped)` : '— NOT within 10 minutes'}; ${missing} missing, ${duplicates} repeated (at-least-once), ${forged} failing the signature check.`,
        "Commit time: the created_at of the event's webhook_deliveries row (written in the update's own transaction); arrival: when the receiver had the whole body. Same clock.",
        "The receiver is its own Node process (bench/webhook-receiver.ts); it, the load generator and the gateway share the machine's cores.",
      ],
      verdicts: [
        { target: `commit → delivery p99 ≤ ${webhookTargets.p99Ms} ms`, value: `${p99} ms`, met: p99 <= webhookTargets.p99Ms },
        {
          target: 'every committed event delivered once, signed',
          value: `${committed.length - missing}/${committed.length}, ${forged} bad signatures`,
          met: missing === 0 && forged === 0 && committed.length > 0,
        },
        { target: 'no failed updates', value: String(off.errors + on.errors), met: off.errors + on.errors === 0 },
      ],
    };
  } finally {
    watch.close();
    await gateway.stop();
    await receiver.stop();
  }
}
