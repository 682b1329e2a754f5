import { queryBuilder } from '../store/compiler.ts';
import { walkCustomers } from './walk-customers.ts';
import { type DeliveryRow, pendingDelivery, type Store, type UpstreamRow } from '../store/index.ts';

// `custgate upstream backfill` (#27): a mirror or shadow upstream added to a tenant that already
// has customers gets each of them only when it is next written. The backfill queues a create for
// every customer the upstream has no link for and no delivery in line for, in the outbox the
// writes use: the dispatcher then sends them with its usual guarantees (order per customer,
// idempotency keys, retries, dead letters), and a write during the backfill is queued after it.

export interface BackfillProgress {
  readonly upstream: string;
  /** Creates queued by this run. */
  readonly queued: number;
  /** Customers passed over: linked already, or a delivery already in line. */
  readonly skipped: number;
}

export interface BackfillOptions {
  /** Most deliveries queued per second (default 500): the dispatcher drains at its own pace behind. */
  readonly rate?: number | undefined;
  readonly onBatch?: ((progress: BackfillProgress) => void) | undefined;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Customers read and queued per step: one indexed range read, one insert. */
const batch = 100;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function backfill(store: Store, row: UpstreamRow, options: BackfillOptions = {}): Promise<BackfillProgress> {
  if (row.mode !== 'mirror' && row.mode !== 'shadow') {
    throw new Error(`upstream ${row.id} is a ${row.mode}: only a mirror or shadow upstream is backfilled (custgate upstream mode)`);
  }
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? sleepFor;
  const rate = options.rate ?? 500;
  const db = queryBuilder(store.executor.backend);
  const started = Date.now();
  let queued = 0;
  let skipped = 0;
  // Customers created meanwhile come last or are queued by their own write.
  const pages = walkCustomers(store, row.tenant_id, batch, (page) =>
    page
      .select(['c.id', 'c.version', 'c.number'])
      .select((eb) => [
        eb
          .exists(
            eb
              .selectFrom('upstream_links as l')
              .select('l.customer_id')
              .whereRef('l.customer_id', '=', 'c.id')
              .where('l.upstream_id', '=', row.id),
          )
          .as('linked'),
        eb
          .exists(
            eb
              .selectFrom('outbox as o')
              .select('o.customer_id')
              .whereRef('o.customer_id', '=', 'c.id')
              .where('o.upstream_id', '=', row.id)
              .where('o.state', 'in', ['pending', 'dead']),
          )
          .as('queued'),
      ]),
  );
  for await (const customers of pages) {
    const at = now().toISOString();
    const rows: DeliveryRow[] = [];
    for (const c of customers) {
      if (Number(c.linked) || Number(c.queued)) {
        skipped++;
        continue;
      }
      rows.push(
        pendingDelivery(
          { upstream_id: row.id, customer_id: c.id, version: Number(c.version), tenant_id: row.tenant_id, action: 'create' },
          at,
        ),
      );
    }
    if (rows.length > 0) {
      // A delivery of this version already recorded (a write racing the read above) is kept as it is.
      await store.executor.run(
        db
          .insertInto('outbox')
          .values(rows)
          .onConflict((oc) => oc.columns(['upstream_id', 'customer_id', 'version']).doNothing())
          .compile(),
      );
      queued += rows.length;
    }
    options.onBatch?.({ upstream: row.id, queued, skipped });
    const due = started + (queued / rate) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  return { upstream: row.id, queued, skipped };
}
