import { join } from 'node:path';
import { dialects } from '../dialects/index.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { cliJson, gatewayEnv, type Section, serve, until, watchFile } from './gateways.ts';
import { type LoadOptions, measure } from './load.ts';
import { runChild, startChild } from './processes.ts';
import { updateWorkload } from './workloads.ts';

// Issue #28's row: a tenant's webhook events delivered to a local receiver (bench/webhook-receiver.ts,
// its own process, checking each Stripe-Signature with the stripe package as a user's handler would)
// while Wooshpay updates run against one `custgate serve` on SQLite. Measured: the time from each
// event's commit (its webhook_deliveries row, written in the update's transaction) to its arrival,
// first at fixed update rates (BENCH_WEBHOOK_RATES, paced by bench/load.ts: the latency a steady
// service sees), then at saturation (events delivered per second during the updates, and the
// updates' throughput with the endpoint against the same updates before it was added).

export const webhookTargets = { p99Ms: 1000 } as const;

const percentile = (sorted: readonly number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

/**
 * The customer and version an event id names, as `evt_<uuid hex>v<version>`: events committed since
 * migration 0045 add `t<ms, base 36>` (src/webhooks/event-ids.ts), which the deliveries table does
 * not keep, so arrivals and attempts are matched to their commits by this part alone.
 */
export const versionOf = (id: string) => id.replace(/t[0-9a-z]+$/, '');

const rates = (process.env.BENCH_WEBHOOK_RATES ?? '200,500')
  .split(',')
  .map(Number)
  .filter((n) => Number.isFinite(n) && n > 0);

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
      connections: number;
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
    const pending = () => watch.count("select count(*) from webhook_deliveries where endpoint_id = ? and state = 'pending'", endpoint.id);
    /** The events committed from `from` on, once all are settled: each one's commit → arrival time. */
    const lagsSince = async (from: number) => {
      const drained = await until(() => pending() === 0, 10 * 60_000, 250);
      const drainedAt = Date.now();
      const committed = watch
        .all<{ customer_id: string; version: number; created_at: string }>(
          'select customer_id, version, created_at from webhook_deliveries where endpoint_id = ?',
          endpoint.id,
        )
        .filter((row) => Date.parse(row.created_at) >= from);
      const { arrivals } = await received();
      const lags: number[] = [];
      let missing = 0;
      const byVersion = new Map([...arrivals].map(([id, at]) => [versionOf(id), at]));
      for (const row of committed) {
        const arrived = byVersion.get(`evt_${row.customer_id.replaceAll('-', '')}v${row.version}`);
        if (arrived === undefined) missing++;
        else lags.push(arrived - Date.parse(row.created_at));
      }
      lags.sort((a, b) => a - b);
      // Where an event waits (item 4 of the issue's bench): from its commit to the start of its
      // delivered attempt (the round picking it up: poll or kick, claim, history read and render),
      // and from that start to its arrival (signing, a connection, the request). From the attempt log.
      const commits = new Map(
        committed.map((row) => [`evt_${row.customer_id.replaceAll('-', '')}v${row.version}`, Date.parse(row.created_at)]),
      );
      const spans = watch.all<{ created_at: string; duration_ms: number; event_id: string }>(
        `select created_at, duration_ms, event_id from webhook_attempts
           where endpoint_id = ? and status between 200 and 299`,
        endpoint.id,
      );
      const waits: number[] = [];
      const sends: number[] = [];
      for (const a of spans) {
        const commit = commits.get(versionOf(a.event_id));
        if (commit === undefined) continue;
        const start = Date.parse(a.created_at) - a.duration_ms;
        waits.push(start - commit);
        const arrived = arrivals.get(a.event_id);
        if (arrived !== undefined) sends.push(arrived - start);
      }
      waits.sort((a, b) => a - b);
      sends.sort((a, b) => a - b);
      return {
        drained,
        drainedAt,
        events: committed.length,
        missing,
        p50: percentile(lags, 50),
        p99: percentile(lags, 99),
        waitP50: percentile(waits, 50),
        waitP99: percentile(waits, 99),
        sendP50: percentile(sends, 50),
        sendP99: percentile(sends, 99),
      };
    };
    const fixed: (Awaited<ReturnType<typeof lagsSince>> & { rate: number; rps: number; updateP99: number; errors: number })[] = [];
    let seed = 7;
    for (const rate of rates) {
      const from = Date.now();
      const at = await measure(gateway.url, updateWorkload(wooshpay, credentials, customers, seed++), { ...load, rate });
      const lag = await lagsSince(from);
      fixed.push({ rate, rps: at.rps, updateP99: at.p99, errors: at.errors, ...lag });
      log(`  at ${rate} updates/s: commit to delivery p50 ${lag.p50} ms, p99 ${lag.p99} ms; ${lag.events} events, ${lag.missing} missing`);
    }
    const started = Date.now();
    const on = await measure(gateway.url, updateWorkload(wooshpay, credentials, customers, seed), load);
    const ended = Date.now();
    const duringRun = [...(await received()).arrivals.values()].filter((t) => t >= started && t <= ended).length;
    log(`  updates with an endpoint: ${Math.round(on.rps)} req/s; ${duringRun} events arrived meanwhile`);
    const sat = await lagsSince(started);
    const { duplicates, forged, connections, arrivals } = await received();
    const allEvents = watch.count('select count(*) from webhook_deliveries where endpoint_id = ?', endpoint.id);
    const allMissing = allEvents - arrivals.size;
    const { p50, p99, drained, drainedAt } = sat;
    const seconds = (ended - started) / 1000;
    const share = on.rps / off.rps;
    log(`  commit to delivery p50 ${p50} ms, p99 ${p99} ms; ${sat.events} events, ${sat.missing} missing`);
    const fixedErrors = fixed.reduce((n, f) => n + f.errors, 0);
    return {
      title: `Webhooks (issue #28): events to a local receiver while updates run`,
      header: [
        'row',
        'updates/s',
        'update ratio',
        'update p99 ms',
        'events',
        'events/s during the updates',
        'commit → delivery p50 ms',
        'p99 ms',
        'commit → send start p50 / p99 ms',
        'send start → arrival p50 / p99 ms',
      ],
      rows: [
        [
          'baseline: wooshpay update at saturation, no endpoint',
          String(Math.round(off.rps)),
          '–',
          off.p99.toFixed(1),
          '–',
          '–',
          '–',
          '–',
          '–',
          '–',
        ],
        ...fixed.map((f) => [
          `wooshpay update at ${f.rate}/s, one Stripe-format endpoint`,
          String(Math.round(f.rps)),
          '–',
          f.updateP99.toFixed(1),
          String(f.events),
          '–',
          String(f.p50),
          String(f.p99),
          `${f.waitP50} / ${f.waitP99}`,
          `${f.sendP50} / ${f.sendP99}`,
        ]),
        [
          'wooshpay update at saturation, one Stripe-format endpoint',
          String(Math.round(on.rps)),
          `${share.toFixed(2)}×`,
          on.p99.toFixed(1),
          String(sat.events),
          (duringRun / seconds).toFixed(0),
          String(p50),
          String(p99),
          `${sat.waitP50} / ${sat.waitP99}`,
          `${sat.sendP50} / ${sat.sendP99}`,
        ],
      ],
      notes: [
        `${customers.toLocaleString('en-US')} customers (BENCH_WEBHOOK_BOOK), ${load.connections} connections (BENCH_CONNECTIONS), ${load.durationSeconds} s per row (BENCH_DURATION) after 3 s of warm-up without the endpoint.`,
        `Fixed rates (BENCH_WEBHOOK_RATES, paced by bench/load.ts, ${load.durationSeconds} s each): the p99 a service writing at that steady rate sees; each row's events are counted once all are delivered.`,
        `At saturation every event committed was delivered ${drained ? `(the last ${((drainedAt - ended) / 1000).toFixed(1)} s after the updates stopped)` : '— NOT within 10 minutes'}; over the whole run ${allMissing} missing, ${duplicates} repeated (at-least-once), ${forged} failing the signature check.`,
        `The events came in on ${connections} TCP connection(s) to the receiver (keep-alive; at most CUSTGATE_WEBHOOK_CONNECTIONS at once).`,
        "Commit time: the created_at of the event's webhook_deliveries row (written in the update's own transaction); arrival: when the receiver had the whole body. Same clock.",
        "Send start: the delivered attempt's start in the attempt log (its time less its duration), after the round claimed the row and rendered the event; commit → send start is the wait for a round, send start → arrival is signing, a connection and the request.",
        "The receiver is its own Node process (bench/webhook-receiver.ts); it, the load generator and the gateway share the machine's cores.",
      ],
      verdicts: [
        ...fixed.map((f) => ({
          target: `commit → delivery p99 ≤ ${webhookTargets.p99Ms} ms at ${f.rate} updates/s`,
          value: `${f.p99} ms`,
          met: f.p99 <= webhookTargets.p99Ms,
        })),
        {
          target: `commit → delivery p99 ≤ ${webhookTargets.p99Ms} ms at saturation`,
          value: `${p99} ms`,
          met: p99 <= webhookTargets.p99Ms,
        },
        {
          target: 'every committed event delivered once, signed',
          value: `${allEvents - allMissing}/${allEvents}, ${forged} bad signatures`,
          met: allMissing === 0 && forged === 0 && allEvents > 0,
        },
        {
          target: 'no failed updates',
          value: String(off.errors + on.errors + fixedErrors),
          met: off.errors + on.errors + fixedErrors === 0,
        },
      ],
    };
  } finally {
    watch.close();
    await gateway.stop();
    await receiver.stop();
  }
}
