import type { Command } from 'commander';
import { queryBuilder } from '../store/compiler.ts';
import type { DeliveryKey, DeliveryState, Store } from '../store/index.ts';
import { deliveryView, parseDeliveryId, shadowSummary } from '../outbox/views.ts';
import { printAnswer } from './output.ts';

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

const print = (json: boolean | undefined, value: unknown, text: () => string) => printAnswer(json, value, () => `${text()}\n`);

/** `--limit`: a whole number from 1 (SQLite reads a negative LIMIT as none, and a word failed as "datatype mismatch"). */
function limitOption(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new Error(`--limit must be a whole number from 1, not ${value}`);
  return Number(value);
}

interface Refused {
  readonly id: string;
  readonly reason: string;
}

/**
 * Applies `change` to each delivery named on the command line, and says why each it did not
 * change was left: a script that names a delivery must not read success when nothing happened.
 */
async function eachNamed(
  store: Store,
  ids: readonly string[],
  now: string,
  change: (key: DeliveryKey) => Promise<number>,
): Promise<{ changed: number; refused: Refused[] }> {
  let changed = 0;
  const refused: Refused[] = [];
  for (const [i, key] of keysOf(ids).entries()) {
    const n = await change(key);
    changed += n;
    if (n === 0) refused.push({ id: ids[i]!, reason: await whyUnchanged(store, key, now) });
  }
  return { changed, refused };
}

async function whyUnchanged(store: Store, key: DeliveryKey, now: string): Promise<string> {
  const db = queryBuilder(store.executor.backend);
  const [row] = await store.executor.all(
    db
      .selectFrom('outbox')
      .select(['state', 'lease_until'])
      .where('upstream_id', '=', key.upstream_id)
      .where('customer_id', '=', key.customer_id)
      .where('version', '=', key.version)
      .compile(),
  );
  if (!row) return 'no such delivery (custgate outbox list shows their ids)';
  if (row.state === 'delivered') return 'delivered already (kept as history)';
  if (row.lease_until !== null && row.lease_until >= now)
    return `a dispatcher is sending it now (until ${row.lease_until}): see how it ends with custgate outbox list`;
  return `it is ${row.state}`;
}

/** The result on stdout; each named delivery left unchanged on stderr, and exit status 1. */
function report(json: boolean | undefined, value: Record<string, number>, refused: readonly Refused[], text: () => string) {
  print(json, refused.length > 0 ? { ...value, refused } : value, text);
  if (refused.length === 0) return;
  for (const r of refused) console.error(`custgate: ${r.id}: ${r.reason}`);
  process.exitCode = 1;
}

export function registerOutboxCommands(program: Command, open: OpenStore): void {
  const outbox = program.command('outbox').description('see and steer deliveries to mirror and shadow upstreams');
  outbox
    .command('list')
    .description('deliveries (default: pending and dead), oldest first')
    .option('--tenant <tenant>', 'only this tenant (id or name)')
    .option('--state <state...>', `only these states (${states.join(', ')})`)
    .option('--limit <n>', 'at most this many', limitOption, 1000)
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
      // Nothing named is not "retried 0" with exit 0: `outbox retry --tenant acme` without --dead
      // reads as done to a script, and retried nothing.
      if (opts.tenant !== undefined && !opts.dead) throw new Error('--tenant goes with --dead (every dead delivery of that tenant)');
      if (ids.length === 0 && !opts.dead)
        throw new Error('name the deliveries to retry (upstream/customer/vN), or --dead for every dead one');
      await withStore(open, async (store) => {
        const now = new Date().toISOString();
        const named = await eachNamed(store, ids, now, (key) => store.outbox.retry([key], now));
        let retried = named.changed;
        if (opts.dead) {
          const filter = {
            states: ['dead' as const],
            limit: 100_000,
            ...(opts.tenant ? { tenantId: await tenantId(store, opts.tenant) } : {}),
          };
          retried += await store.outbox.retry(await store.outbox.list(filter), now);
        }
        report(opts.json, { retried }, named.refused, () => `retried ${retried} deliveries`);
      });
    });

  outbox
    .command('drop <ids...>')
    .description('remove pending or dead deliveries that must not be sent (the upstream stays as it is)')
    .option('--json', 'one JSON object')
    .action(async (ids: string[], opts: { json?: boolean }) => {
      await withStore(open, async (store) => {
        const now = new Date().toISOString();
        const named = await eachNamed(store, ids, now, (key) => store.outbox.drop([key], now));
        report(opts.json, { dropped: named.changed }, named.refused, () => `dropped ${named.changed} deliveries`);
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
