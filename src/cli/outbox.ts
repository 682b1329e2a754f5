import type { Command } from 'commander';
import { queryBuilder } from '../store/compiler.ts';
import type { DeliveryState, Store } from '../store/index.ts';
import { deliveryView, parseDeliveryId, shadowSummary } from '../outbox/views.ts';

// `custgate outbox list|retry|drop` and `custgate shadow report` (docs/migrating.md).

type OpenStore = () => Promise<Store>;

const states = ['pending', 'delivered', 'dead'] as const satisfies readonly DeliveryState[];

async function withStore<T>(open: OpenStore, run: (store: Store) => Promise<T>): Promise<T> {
  const store = await open();
  try {
    return await run(store);
  } finally {
    await store.executor.close();
  }
}

/** A tenant named by id or by name. */
async function tenantId(store: Store, ref: string): Promise<string> {
  if (await store.findTenant(ref)) return ref;
  const db = queryBuilder(store.executor.backend);
  const rows = await store.executor.all(db.selectFrom('tenants').select('id').where('name', '=', ref).compile());
  if (rows.length === 1) return rows[0]!.id;
  throw new Error(rows.length === 0 ? `no tenant with id or name '${ref}'` : `several tenants are named '${ref}': give its id`);
}

function keysOf(ids: readonly string[]) {
  return ids.map((id) => {
    const key = parseDeliveryId(id);
    if (!key) throw new Error(`not a delivery id (upstream/customer/vN): ${id}`);
    return key;
  });
}

const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  process.stdout.write(`${json ? JSON.stringify(value) : text()}\n`);

export function registerOutboxCommands(program: Command, open: OpenStore): void {
  const outbox = program.command('outbox').description('see and steer deliveries to mirror and shadow upstreams');
  outbox
    .command('list')
    .description('deliveries (default: pending and dead), oldest first')
    .option('--tenant <tenant>', 'only this tenant (id or name)')
    .option('--state <state...>', `only these states (${states.join(', ')})`)
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 1000)
    .option('--json', 'one JSON object')
    .action(async (opts: { tenant?: string; state?: string[]; limit: number; json?: boolean }) => {
      const wanted = (opts.state ?? ['pending', 'dead']).map((s) => {
        if (!(states as readonly string[]).includes(s)) throw new Error(`unknown state: ${s}`);
        return s as DeliveryState;
      });
      await withStore(open, async (store) => {
        const filter = { states: wanted, limit: opts.limit, ...(opts.tenant ? { tenantId: await tenantId(store, opts.tenant) } : {}) };
        const rows = (await store.outbox.list(filter)).map(deliveryView);
        const counts = await store.outbox.counts(filter.tenantId);
        print(opts.json, { object: 'list', counts, data: rows }, () =>
          [
            `pending ${counts.pending}, dead ${counts.dead}`,
            ...rows.map(
              (d) => `${d.id}  ${d.state}  ${d.action}  attempts ${d.attempts}${d.last_error ? `  last error: ${d.last_error}` : ''}`,
            ),
          ].join('\n'),
        );
      });
    });

  outbox
    .command('retry [ids...]')
    .description('put deliveries (upstream/customer/vN) back in line now, with fresh attempts')
    .option('--dead', 'every dead delivery (of --tenant, or of all)')
    .option('--tenant <tenant>', 'with --dead: only this tenant')
    .option('--json', 'one JSON object')
    .action(async (ids: string[], opts: { dead?: boolean; tenant?: string; json?: boolean }) => {
      await withStore(open, async (store) => {
        let keys = keysOf(ids);
        if (opts.dead) {
          const filter = {
            states: ['dead' as const],
            limit: 100_000,
            ...(opts.tenant ? { tenantId: await tenantId(store, opts.tenant) } : {}),
          };
          keys = [...keys, ...(await store.outbox.list(filter))];
        }
        const retried = await store.outbox.retry(keys, new Date().toISOString());
        print(opts.json, { retried }, () => `retried ${retried} deliveries`);
      });
    });

  outbox
    .command('drop <ids...>')
    .description('remove pending or dead deliveries that must not be sent (the upstream stays as it is)')
    .option('--json', 'one JSON object')
    .action(async (ids: string[], opts: { json?: boolean }) => {
      await withStore(open, async (store) => {
        const dropped = await store.outbox.drop(keysOf(ids));
        print(opts.json, { dropped }, () => `dropped ${dropped} deliveries`);
      });
    });

  const shadow = program.command('shadow').description('compare shadow upstreams with the local store');
  shadow
    .command('report <tenant>')
    .description('mismatches by dialect and field: rate and samples')
    .option('--json', 'one JSON object')
    .action(async (tenant: string, opts: { json?: boolean }) => {
      await withStore(open, async (store) => {
        const report = await shadowSummary(store, await tenantId(store, tenant));
        print(opts.json, report, () => {
          if (report.dialects.length === 0) return 'no shadow comparisons yet';
          const lines: string[] = [];
          for (const d of report.dialects) {
            lines.push(`${d.dialect}: ${d.checks} comparisons, ${d.mismatched} with differences (${(d.rate * 100).toFixed(1)} %)`);
            for (const f of d.fields) {
              lines.push(`  ${f.field}: ${f.mismatches} (${(f.rate * 100).toFixed(1)} %)`);
              for (const s of f.samples) {
                lines.push(
                  `    ${s.customer} v${s.local_version}: local ${JSON.stringify(s.local)}, upstream ${JSON.stringify(s.upstream)}`,
                );
              }
            }
          }
          return lines.join('\n');
        });
      });
    });
}
