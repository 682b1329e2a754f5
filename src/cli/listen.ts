import { type Command, InvalidArgumentError } from 'commander';
import { merge, set } from '../../schemas/index.ts';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { CustomerService } from '../core/index.ts';
import { openStore } from '../open-store.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { parseEventId } from '../webhooks/event-ids.ts';
import { eventTypes } from '../webhooks/events.ts';
import { webhooksFor } from '../webhooks/index.ts';
import type { WebhookStore } from '../webhooks/store.ts';
import { forwardUrl, forwardedLines } from './listen-lines.ts';
import { printLine } from './output.ts';

// Local development, as `stripe listen` and `stripe trigger` do it
// (https://docs.stripe.com/cli/listen, https://docs.stripe.com/cli/trigger): `listen` forwards a
// tenant's events to a local URL through a temporary endpoint; `trigger` makes a real change.

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The type of the event an attempt sent (an attempt row keeps its id only): that of its delivery to
 * the endpoint, which names the customer's version the id names.
 */
async function eventType(repo: WebhookStore, tenantId: string, endpointId: string, eventId: string): Promise<string> {
  const ref = parseEventId(eventId);
  const delivery = ref && (await repo.deliveriesOf(tenantId, ref.customerId, ref.version)).find((d) => d.endpoint_id === endpointId);
  return delivery?.type ?? 'event';
}

export function registerListenCommands(program: Command, env: Env, all: readonly AnyDialect[]): void {
  program
    .command('listen')
    .description("forward a tenant's events, signed, to a local URL until interrupted; prints the secret and each attempt")
    .requiredOption('--tenant <tenant>', 'tenant id or name')
    .requiredOption(
      '--forward-to <url>',
      'where to POST each event, e.g. http://localhost:3000/hooks, or localhost:3000/hooks (http, as stripe listen takes it)',
      forwardUrl,
    )
    .option('--format <format>', 'stripe or standard', 'stripe')
    .option('--dialect <dialect>', 'the shape of the customer in each event')
    .option('--events <types>', 'comma-separated event types (default: all)')
    .action(async (opts: { tenant: string; forwardTo: string; format: string; dialect?: string; events?: string }) => {
      const store = await openStore(env);
      const tenant = await findTenant(store, opts.tenant);
      const webhooks = webhooksFor(store, loadConfig(env), all, { kickAfterWrite: false });
      const { endpoint, secret } = await webhooks.add(tenant.id, {
        url: opts.forwardTo,
        format: opts.format,
        dialect: opts.dialect,
        events: opts.events,
      });
      console.log(`Ready! Forwarding to ${endpoint.url}. Your webhook signing secret is ${secret} (^C to quit)`);
      let seen = new Set<string>();
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        // The temporary endpoint goes with the listener, and what it had not been sent with it.
        await webhooks.remove(tenant.id, endpoint.id).catch(() => undefined);
        await store.executor.close();
        process.exit(0);
      };
      // SIGHUP too: a closed terminal left the endpoint behind, sent every later event (signed with
      // a secret nobody holds any more) to the URL a new listen forwards to, for the retry window.
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop());
      while (!stopping) {
        await webhooks.dispatcher.drain().catch((error: unknown) => printLine(`custgate: ${(error as Error).message}`, process.stderr));
        const attempts = await webhooks.repo.attempts(tenant.id, endpoint.id, 100).catch(() => []);
        const fresh = attempts.filter((a) => !seen.has(a.id)).reverse();
        for (const a of fresh) {
          const type = await eventType(webhooks.repo, tenant.id, endpoint.id, a.event_id).catch(() => 'event');
          const at = new Date(a.created_at);
          for (const line of forwardedLines({ at, type, eventId: a.event_id, url: endpoint.url, status: a.status, error: a.error })) {
            printLine(line);
          }
        }
        seen = new Set(attempts.map((a) => a.id));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });

  program
    .command('trigger <event>')
    .description(
      `make a real change that emits the event (${eventTypes.join(', ')}): a new test customer, updated for customer.updated, deleted for customer.deleted`,
    )
    .requiredOption('--tenant <tenant>', 'tenant id or name')
    .action(async (event: string, opts: { tenant: string }) => {
      if (!eventTypes.includes(event as never)) throw new InvalidArgumentError(`not an event type (${eventTypes.join(', ')})`);
      const store = await openStore(env);
      try {
        const tenant = await findTenant(store, opts.tenant);
        const config = loadConfig(env);
        const webhooks = webhooksFor(store, config, all, { kickAfterWrite: false });
        const service = new CustomerService(store, {
          now: () => new Date(),
          maxAttempts: 16,
          writeWaitMs: config.writeWaitMs,
          events: webhooks,
        });
        const ctx = { principal: { tenantId: tenant.id, credentialId: 'cli:trigger', livemode: false }, dialect: 'gateway' };
        let customer = await service.create({ name: set('custgate trigger'), description: set('made by custgate trigger') }, ctx);
        if (event === 'customer.updated') {
          customer = await service.update(
            ['uuid'],
            customer.uuid,
            { metadata: merge({ triggered_at: set(new Date().toISOString()) }) },
            ctx,
          );
        }
        // Stripe's trigger of customer.deleted deletes the customer it made (its fixture).
        if (event === 'customer.deleted') customer = (await service.delete(['uuid'], customer.uuid, ctx, 'same')).customer;
        console.log(`Triggered ${event} on ${customer.public_id} (version ${customer.version}).`);
        // Sent from here too, so it arrives with no server running; a server would send it as well, once.
        const sent = await webhooks.dispatcher.drain({ deadline: Date.now() + 15_000 });
        if (sent.delivered + sent.retried + sent.dead > 0) {
          console.log(`deliveries: ${sent.delivered} delivered, ${sent.retried} to retry, ${sent.dead} given up`);
        }
      } finally {
        await store.executor.close();
      }
    });
}
