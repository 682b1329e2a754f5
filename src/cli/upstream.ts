import type { Command } from 'commander';
import { demote, promote } from '../upstream/cut-over.ts';
import { loadConfig } from '../config.ts';
import type { DialectSource } from '../contract/registry.ts';
import { gatewayIdOf } from '../upstream/loop.ts';
import { addUpstreamChecked } from '../upstream/add-checked.ts';
import {
  changeMode,
  listUpstreamsChecked,
  removeUpstream,
  setWebhookSecret,
  type UpstreamView,
  upstreamDetail,
} from '../upstream/registry.ts';
import { withGrantWarnings as withWarnings } from '../upstream/grants.ts';
import { transportFor } from '../upstream/node-transport.ts';
import { keyringFor } from '../upstream/secrets.ts';
import { type CreateAttemptView, clearCreateAttempt, listCreateAttempts } from '../upstream/stuck-creates.ts';
import { resync } from '../outbox/resync.ts';
import { bookCommands } from './book.ts';
import { printAnswer, printJson, printLine } from './output.ts';
import { type Env, tenantId, withStore } from './with-store.ts';
import type { Store } from '../store/index.ts';

// `custgate upstream add|list|show|mode|remove|attempts`: a tenant's upstream providers (docs/migrating.md).

const attemptLine = (a: CreateAttemptView) =>
  `${a.customer_id}  ${a.attempted_at}  ${a.held_until ? `held until ${a.held_until}` : 'not held'}  ${JSON.stringify(a.sent)}`;

const line = (u: UpstreamView) =>
  `${u.id}  ${u.dialect}  ${u.mode}  ${u.base_url}  ${u.encoding}  (tenant ${u.tenant_id}, added ${u.created_at})`;

/** Each warning on stderr, as `upstream add` prints them. */
const printWarnings = (warnings: readonly string[] | undefined): void => {
  for (const warning of warnings ?? []) printLine(`custgate: warning: ${warning}`, process.stderr);
};

export function upstreamCommands(program: Command, env: Env, source: DialectSource): void {
  /** The upstream as it now serves, with what its credentials lack for its new mode (as `upstream add` warns). */
  const withGrantWarnings = async <U extends UpstreamView>(store: Store, view: U) =>
    withWarnings(store, { keyring: keyringFor(loadConfig(env), store.upstreams), dialects: await source.load([view.dialect]) }, view);
  const upstream = program.command('upstream').description("manage a tenant's upstream providers (credentials encrypted at rest)");
  upstream
    .command('add <tenant>')
    .description('add an upstream provider for a tenant (name or id)')
    .requiredOption('--dialect <name>', `the provider: ${source.names.join(', ')}`)
    .requiredOption('--base-url <url>', "the provider's API base URL (for a custgate playing it: http://host:port/<dialect>)")
    .option('--mode <mode>', 'proxy (the upstream is the system of record), mirror or shadow', 'proxy')
    .requiredOption('--credentials <json>', "shaped as that dialect's entry of `custgate tenant create --json`")
    .option('--encoding <encoding>', "request bodies as json, or form (Stripe's, for a Stripe-compatible provider that needs it)", 'json')
    .option('--webhook-secret <secret>', 'the secret the provider signs its webhooks with (POST /gateway/v1/upstreams/<id>/webhook)')
    .option('--json', 'print the upstream as JSON')
    .action(
      async (
        ref: string,
        opts: {
          dialect: string;
          baseUrl: string;
          mode: string;
          credentials: string;
          webhookSecret?: string;
          encoding: string;
          json?: boolean;
        },
      ) => {
        let credentials: unknown;
        try {
          credentials = JSON.parse(opts.credentials);
        } catch {
          throw new Error('--credentials is not JSON');
        }
        const config = loadConfig(env);
        if (!source.names.includes(opts.dialect)) throw new Error(`unknown dialect ${opts.dialect}: one of ${source.names.join(', ')}`);
        const dialects = await source.load([opts.dialect]);
        const added = await withStore(env, async (store) => {
          const admin = { keyring: keyringFor(config, store.upstreams), dialects };
          const probe = { gatewayId: gatewayIdOf(store.upstreams), timeoutMs: 3000, transport: transportFor(config.upstreamTransport) };
          const input = {
            dialect: opts.dialect,
            baseUrl: opts.baseUrl,
            mode: opts.mode,
            credentials,
            encoding: opts.encoding,
            webhookSecret: opts.webhookSecret,
          };
          return addUpstreamChecked(store, admin, await tenantId(store, ref), input, probe);
        });
        printAnswer(opts.json, added, () => `added ${line(added)}\n`);
        printWarnings(added.warnings);
      },
    );
  upstream
    .command('list <tenant>')
    .description("list a tenant's upstreams (never their credentials)")
    .option('--json', 'print a JSON array')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const config = loadConfig(env);
      const listed = await withStore(env, async (store) =>
        listUpstreamsChecked(store, keyringFor(config, store.upstreams), await tenantId(store, ref)),
      );
      const shown = (u: (typeof listed)[number]) =>
        u.credentials_readable ? line(u) : `${line(u)}  CREDENTIALS UNREADABLE: re-add it with its credentials`;
      printAnswer(opts.json, listed, () => `${listed.map(shown).join('\n') || '(no upstreams)'}\n`);
    });
  upstream
    .command('show <tenant> <upstream-id>')
    .description('one upstream with its links count and history (each mode change with its time)')
    .option('--json', 'print it as JSON')
    .action(async (ref: string, id: string, opts: { json?: boolean }) => {
      const shown = await withStore(env, async (store) => upstreamDetail(store, await tenantId(store, ref), id));
      if (opts.json) return printJson(shown);
      const steps = shown.history.map((h) => `  ${h.at}  ${h.event}  ${h.previous_mode ? `${h.previous_mode} -> ` : ''}${h.mode}`);
      printLine([line(shown), `  ${shown.links} links`, ...steps].join('\n'));
    });
  upstream
    .command('mode <tenant> <upstream-id> <mode>')
    .description('change an upstream to proxy, mirror or shadow in place (its links and history stay)')
    .option('--json', 'print the upstream as JSON')
    .action(async (ref: string, id: string, mode: string, opts: { json?: boolean }) => {
      // Shown as `upstream show --json` and PATCH /gateway/v1/upstreams/{id} show it: links and history.
      const changed = await withStore(env, async (store) => {
        const tenant = await tenantId(store, ref);
        await changeMode(store, tenant, id, mode);
        return withGrantWarnings(store, await upstreamDetail(store, tenant, id));
      });
      printAnswer(opts.json, changed, () => `changed ${line(changed)}\n`);
      printWarnings(changed.warnings);
    });
  upstream
    .command('promote <tenant> <upstream-id>')
    .description(
      'the cut-over: a mirror or shadow upstream becomes the proxy once nothing is left to deliver and the last reconciliation found no difference',
    )
    .option('--force', 'promote even so (a warning, and forced: true in the history)')
    .option('--json', 'print the upstream as JSON')
    .action(async (ref: string, id: string, opts: { force?: boolean; json?: boolean }) => {
      const done = await withStore(env, async (store) => {
        const tenant = await tenantId(store, ref);
        const promoted = await promote(store, tenant, id, new Date(), opts.force === true);
        return { ...promoted, upstream: await withGrantWarnings(store, await upstreamDetail(store, tenant, id)) };
      });
      if (done.forced) printLine(`warning: promoted by force past: ${done.blockers.join('; ')}`, process.stderr);
      printAnswer(opts.json, { ...done.upstream, forced: done.forced }, () => `promoted ${line(done.upstream)}\n`);
      printWarnings(done.upstream.warnings);
    });
  upstream
    .command('resync <tenant> <upstream-id>')
    .description(
      'send a mirror or shadow upstream the whole local state of customers whose copy was changed at the provider: those named, or else those the last reconciliation found different; a running gateway delivers them',
    )
    .option('--customer <id>', 'a customer to resync (UUID or cus_ id; repeat for more)', (v: string, all?: string[]) => [
      ...(all ?? []),
      v,
    ])
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, id: string, opts: { customer?: string[]; json?: boolean }) => {
      const done = await withStore(env, async (store) => resync(store, await tenantId(store, ref), id, opts.customer ?? [], new Date()));
      if (opts.json) return printJson(done);
      const of = done.from === 'named' ? 'named' : `the last reconciliation (${done.reconciled_at}) found different`;
      printLine(
        `queued the whole local state of ${done.queued.length} customers ${of} for upstream ${done.upstream}; a running gateway delivers them`,
      );
      for (const s of done.skipped) printLine(`custgate: ${s.customer} not queued: ${s.reason}`, process.stderr);
      if (done.truncated)
        console.error(
          'custgate: the reconciliation named only its first differing customers: reconcile and resync again once these are delivered',
        );
    });
  upstream
    .command('demote <tenant> <upstream-id>')
    .description('the proxy goes back to mirror (the local store is the system of record again)')
    .option('--json', 'print the upstream as JSON')
    .action(async (ref: string, id: string, opts: { json?: boolean }) => {
      const done = await withStore(env, async (store) => {
        const tenant = await tenantId(store, ref);
        await demote(store, tenant, id, new Date());
        return upstreamDetail(store, tenant, id);
      });
      printAnswer(opts.json, done, () => `demoted ${line(done)}\n`);
    });
  upstream
    .command('webhook-secret <tenant> <upstream-id> [secret]')
    .description('set the secret the provider signs its webhooks with (--clear: take none from it)')
    .option('--clear', 'take no webhooks from this upstream')
    .action(async (ref: string, id: string, secret: string | undefined, opts: { clear?: boolean }) => {
      if (!secret && !opts.clear) throw new Error('give the secret, or --clear');
      const config = loadConfig(env);
      await withStore(env, async (store) => {
        const tenant = await tenantId(store, ref);
        const row = await store.upstreams.find(tenant, id);
        const dialects = await source.load(row ? [row.dialect] : []);
        await setWebhookSecret(
          store,
          { keyring: keyringFor(config, store.upstreams), dialects },
          tenant,
          id,
          opts.clear ? null : (secret ?? null),
        );
      });
      console.log(
        opts.clear ? `${id} takes no webhooks` : `${id} takes webhooks signed with the given secret at /gateway/v1/upstreams/${id}/webhook`,
      );
    });
  upstream
    .command('remove <tenant> <upstream-id>')
    .description('take an upstream out of service (customers stay; adding the same provider again reuses its links)')
    .action(async (ref: string, id: string) => {
      const removed = await withStore(env, async (store) => removeUpstream(store, await tenantId(store, ref), id));
      if (!removed) throw new Error(`no upstream ${id} for tenant ${ref}`);
      console.log(`removed ${id}`);
    });
  upstream
    .command('attempts <tenant> <upstream-id>')
    .description(
      'creates sent for customers the upstream has no link for yet, whose answer was never stored (--clear: forget one, so the next write of that customer creates it again)',
    )
    .option('--clear <customer-uuid>', 'clear the record of this customer (check the provider first: the lost create may be there)')
    .option('--json', 'print JSON')
    .action(async (ref: string, id: string, opts: { clear?: string; json?: boolean }) => {
      const { clear } = opts;
      if (clear !== undefined) {
        await withStore(env, async (store) => clearCreateAttempt(store, await tenantId(store, ref), id, clear, new Date()));
        printAnswer(opts.json, { cleared: clear }, () => `cleared the create recorded for ${clear} at ${id}\n`);
        return;
      }
      const listed = await withStore(env, async (store) => listCreateAttempts(store, await tenantId(store, ref), id));
      printAnswer(opts.json, listed, () => `${listed.map(attemptLine).join('\n') || '(no recorded creates)'}\n`);
    });
  bookCommands(upstream, env, source);
}
