import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { openStore } from '../open-store.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { parseEventId } from '../webhooks/events.ts';
import { type EndpointRow, resendEvent, type Webhooks, webhooksFor } from '../webhooks/index.ts';
import { durationSeconds, printAnswer, table } from './output.ts';

// `custgate webhook …`: a tenant's webhook endpoints from the command line (docs/webhooks.md).
// What the commands change, the running server sends (it polls for due deliveries).

type Env = Readonly<Record<string, string | undefined>>;

interface Cli {
  readonly env: Env;
  readonly all: readonly AnyDialect[];
}

async function withWebhooks<T>({ env, all }: Cli, ref: string, work: (webhooks: Webhooks, tenantId: string) => Promise<T>): Promise<T> {
  const store = await openStore(env);
  try {
    const tenant = await findTenant(store, ref);
    return await work(webhooksFor(store, loadConfig(env), all, { kickAfterWrite: false }), tenant.id);
  } finally {
    await store.executor.close();
  }
}

/** `held_until`: the end of the endpoint's hold (its receiver down, docs/webhooks.md) while it runs, else null. */
const shown = (row: EndpointRow, now = new Date()) => {
  const held = row.held_until !== null && row.held_until > now.toISOString();
  return {
    id: row.id,
    url: row.url,
    format: row.format,
    dialect: row.dialect,
    events: (JSON.parse(row.events) as string[]).join(','),
    mode: Number(row.livemode) === 1 ? 'live' : 'test',
    status: row.status,
    held_until: held ? row.held_until : null,
    held_rounds: Number(row.held_rounds),
    created_at: row.created_at,
  };
};

const out = printAnswer;

const overlap = (value: string): number => {
  try {
    return durationSeconds(value) * 1000;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

export function registerWebhookCommands(program: Command, env: Env, all: readonly AnyDialect[]): void {
  const cli: Cli = { env, all };
  const webhook = program.command('webhook').description("manage a tenant's webhook endpoints");
  webhook
    .command('add <tenant>')
    .description('add an endpoint and print its signing secret (shown once)')
    .requiredOption('--url <url>', 'where events are POSTed (http:// or https://)')
    .option('--format <format>', 'stripe (Stripe-Signature) or standard (Standard Webhooks)', 'stripe')
    .option('--dialect <dialect>', `the shape of the customer in each event (${all.map((d) => d.name).join(', ')})`)
    .option('--events <types>', 'comma-separated: customer.created, customer.updated, customer.deleted (default: all)')
    .option('--live', "a live-mode endpoint: it gets live customers' events (default: test mode, test customers' events)")
    .option('--json', 'print one JSON object and nothing else')
    .action(
      async (ref: string, opts: { url: string; format: string; dialect?: string; events?: string; live?: boolean; json?: boolean }) => {
        const { endpoint, secret } = await withWebhooks(cli, ref, (w, tenantId) =>
          w.add(tenantId, { url: opts.url, format: opts.format, dialect: opts.dialect, events: opts.events, livemode: opts.live === true }),
        );
        out(opts.json, { ...shown(endpoint), secret }, () => `${endpoint.id} ${endpoint.url}\nsigning secret (shown once): ${secret}\n`);
      },
    );
  webhook
    .command('list <tenant>')
    .option('--json', 'print one JSON array and nothing else')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const rows = (await withWebhooks(cli, ref, (w, tenantId) => w.repo.endpoints(tenantId))).map((row) => shown(row));
      out(opts.json, rows, () => table(rows, ['id', 'url', 'format', 'dialect', 'events', 'mode', 'status', 'held_until']));
    });
  webhook.command('remove <tenant> <id>').action(async (ref: string, id: string) => {
    await withWebhooks(cli, ref, (w, tenantId) => w.remove(tenantId, id));
    process.stdout.write(`removed ${id}\n`);
  });
  webhook
    .command('roll-secret <tenant> <id>')
    .description('a new signing secret; the old one keeps signing beside it for --overlap')
    // The default shown as a duration: `--help` said "(default: 86400000)", milliseconds no option takes.
    .addOption(
      new Option('--overlap <duration>', 'how long the old secret still signs (90s, 15m, 12h, 3d)')
        .argParser(overlap)
        .default(24 * 3600_000, '24h'),
    )
    .option('--json', 'print one JSON object and nothing else')
    .action(async (ref: string, id: string, opts: { overlap: number; json?: boolean }) => {
      const { endpoint, secret } = await withWebhooks(cli, ref, (w, tenantId) => w.roll(tenantId, id, opts.overlap));
      out(
        opts.json,
        { ...shown(endpoint), secret, previous_secret_until: endpoint.previous_until },
        () => `new signing secret (shown once): ${secret}\nthe previous one signs too until ${endpoint.previous_until ?? 'now'}\n`,
      );
    });
  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    webhook.command(`${name} <tenant> <id>`).action(async (ref: string, id: string) => {
      const row = await withWebhooks(cli, ref, (w, tenantId) => w.setEnabled(tenantId, id, enabled));
      process.stdout.write(`${row.id} ${row.status}\n`);
    });
  }
  webhook
    .command('attempts <tenant> <id>')
    .description("an endpoint's delivery log, newest first")
    .option('--json', 'print one JSON array and nothing else')
    .action(async (ref: string, id: string, opts: { json?: boolean }) => {
      const rows = await withWebhooks(cli, ref, async (w, tenantId) => w.repo.attempts(tenantId, (await w.get(tenantId, id)).id, 100));
      out(opts.json, rows, () => table(rows, ['created_at', 'event_id', 'attempt', 'status', 'duration_ms', 'error']));
    });
  webhook
    .command('resend <event>')
    .description("send an event again to every endpoint that had it (same id); the server's next poll sends it")
    .requiredOption('--tenant <tenant>', 'the tenant the event belongs to')
    .action(async (event: string, opts: { tenant: string }) => {
      const ref = parseEventId(event);
      if (!ref) throw new InvalidArgumentError(`not an event id: ${event}`);
      // The id must name the version's event now: after a customer's UUID came back, an old id names none.
      // The endpoints it goes to are said to be back: their holds end for the server too.
      const n = await withWebhooks(cli, opts.tenant, (w, tenantId) => resendEvent(w, { tenantId }, event, new Date()));
      if (n === 0) throw new Error(`no deliveries of ${event} for this tenant`);
      process.stdout.write(`${event}: ${n} deliver${n === 1 ? 'y' : 'ies'} queued again\n`);
    });
}
