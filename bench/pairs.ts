import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { alternate, diskFloor, rowOf, type Side, side } from './alternate.ts';
import { type ByHandServer, startByHand } from './by-hand.ts';
import type { Workload } from './load.ts';
import { credentialsOf, custgate, type RowContext, startCustgate } from './rows.ts';
import { retrieveWorkload, updateWorkload } from './workloads.ts';

// The `requests` group's pairs whose ratios are targets (issue #30), measured in alternation.

/**
 * The pairs whose ratios are targets, on SQLite, in alternation (bench/alternate.ts): for every
 * dialect the by-hand update (NORMAL) beside custgate's update, the by-hand retrieve beside
 * custgate's, and the by-hand FULL update at the fixed rate beside custgate's at that rate; the
 * by-hand FULL saturating update and the disk's floor once a round. Then, in rounds of their own,
 * every dialect's update at the large store beside the small store's.
 */
export async function alternatedSqlite(ctx: RowContext, dir: string, small: number, large: number | undefined) {
  const { registered, fixedRate } = ctx;
  const running: { stop(): Promise<void> }[] = [];
  const started = <T extends { stop(): Promise<void> } | undefined>(server: T) => {
    if (server) running.push(server);
    return server;
  };
  try {
    const normal = started(await startByHand(ctx, dir, small, 'sync=NORMAL'));
    const full = started(await startByHand(ctx, dir, small, 'sync=FULL'));
    const sqlite = { backend: 'sqlite', dialects: registered, retrieve: true } as const;
    const smallServer = started(await startCustgate(ctx, dir, { ...sqlite, customers: small }));
    const largeServer = large === undefined ? undefined : started(await startCustgate(ctx, dir, { ...sqlite, customers: large }));
    const hand = { kind: 'by-hand', dialect: 'wooshpay', customers: small, backend: 'sqlite' } as const;
    const byHandSide = (server: ByHandServer | undefined, label: string, work: (s: ByHandServer) => Workload, rate?: number) =>
      server &&
      side(
        `by hand ${label} (${server.tag})${rate ? ` at ${rate} req/s` : ''}`,
        { ...hand, ...(rate ? { rate } : {}) },
        server,
        work(server),
      );
    // One workload per by-hand row, shared by the dialects' pairs: its customers and names go on.
    const handUpdate = byHandSide(normal, 'update', (s) => updateWorkload(s.dialect, s.credentials, small, 5));
    const handRetrieve = byHandSide(normal, 'retrieve', (s) => retrieveWorkload(s.dialect, s.credentials, small, 5));
    const handFull = byHandSide(full, 'update', (s) => updateWorkload(s.dialect, s.credentials, small, 4));
    const paced = fixedRate > 0 ? fixedRate : undefined;
    const handPaced = paced && byHandSide(full, 'update', (s) => updateWorkload(s.dialect, s.credentials, small, 6), paced);
    const groups: Side[][] = handFull ? [[handFull]] : [];
    const custgateSides: Side[] = [];
    const largeSides: Side[] = [];
    registered.forEach((dialect, i) => {
      const own = credentialsOf(smallServer.credentials, dialect.name);
      const meta = { dialect: dialect.name, customers: small, backend: 'sqlite', variant: '' } as const;
      const update = side(
        `${dialect.name} update`,
        { kind: 'update', ...meta },
        smallServer,
        updateWorkload(dialect, own, small, small + i),
        handUpdate,
      );
      const retrieve = side(
        `${dialect.name} retrieve`,
        { kind: 'retrieve', ...meta },
        smallServer,
        retrieveWorkload(dialect, own, small, i),
        handRetrieve,
      );
      custgateSides.push(update, retrieve);
      const updates = [...(handUpdate ? [handUpdate] : []), update];
      const largeCredentials = largeServer?.credentials[dialect.name];
      if (largeServer && large !== undefined && largeCredentials) {
        const work = updateWorkload(dialect, largeCredentials, large, large + i);
        const bigger = side(`${dialect.name} update`, { kind: 'update', ...meta, customers: large }, largeServer, work, update);
        largeSides.push(bigger);
      }
      groups.push(updates, [...(handRetrieve ? [handRetrieve] : []), retrieve]);
      if (paced) {
        const work = updateWorkload(dialect, own, small, 2 * small + i);
        const at = { kind: 'update', ...meta, variant: ` (${paced} req/s)`, rate: paced } as const;
        const fixed = side(`${dialect.name} update at ${paced} req/s`, at, smallServer, work, handPaced || undefined);
        custgateSides.push(fixed);
        groups.push([...(handPaced ? [handPaced] : []), fixed]);
      }
    });
    ctx.log(
      `alternating ${groups.length} groups, ${ctx.rounds} rounds of ${ctx.load.connections} connections × ${ctx.sliceSeconds} s slices`,
    );
    const sliced = { ...ctx, load: { ...ctx.load, durationSeconds: ctx.sliceSeconds } };
    await alternate(sliced, groups, () => diskFloor(ctx, dir));
    // The large store beside the small one in rounds of their own, after the others: among them
    // the small server serves three slices a dialect to the large one's one, and the large one
    // comes to each after idling through about six slices of other servers (docs/performance.md,
    // "The twentieth round"). On their own, both serve every other slice, as `--only scale` does.
    if (largeSides.length > 0) {
      const pairs = largeSides.flatMap((bigger) => (bigger.against ? [[bigger.against, bigger]] : []));
      ctx.log(`alternating the large store beside the small one, ${ctx.scaleRounds} rounds`);
      await alternate({ ...sliced, rounds: ctx.scaleRounds }, pairs);
    }
    const hands = [handUpdate, handRetrieve, handFull, handPaced || undefined].filter((s): s is Side => s !== undefined);
    ctx.rows.push(...[...hands, ...custgateSides, ...largeSides].map(rowOf));
  } finally {
    for (const server of running.reverse()) await server.stop();
  }
}

/**
 * `--only scale`: every dialect's update at the small store beside the same at the large store,
 * both servers up for the whole set and measured in alternation (bench/alternate.ts), as the full
 * run's pairs are. Measured one store after the other, the large server's last dialects paid for
 * its age (the WAL and events the rows before them wrote) and missed where its first ones met
 * (docs/performance.md, "The sixteenth round"); alternated, every dialect meets both servers at
 * every age. `order` is the order of the groups within a round.
 */
export async function alternatedScale(ctx: RowContext, dir: string, small: number, large: number, order: readonly AnyDialect[]) {
  const { registered } = ctx;
  const running: { stop(): Promise<void> }[] = [];
  try {
    const sqlite = { backend: 'sqlite', dialects: registered, retrieve: false } as const;
    const smallServer = await startCustgate(ctx, dir, { ...sqlite, customers: small });
    running.push(smallServer);
    const largeServer = await startCustgate(ctx, dir, { ...sqlite, customers: large });
    running.push(largeServer);
    const groups: Side[][] = [];
    for (const dialect of order) {
      // The seeds stay the registry's, whatever the order: the same requests in every run.
      const i = registered.indexOf(dialect);
      const credentials = (server: typeof smallServer) => credentialsOf(server.credentials, dialect.name);
      const meta = { kind: 'update', dialect: dialect.name, backend: 'sqlite', variant: '' } as const;
      const update = side(
        `${dialect.name} update`,
        { ...meta, customers: small },
        smallServer,
        updateWorkload(dialect, credentials(smallServer), small, small + i),
      );
      const work = updateWorkload(dialect, credentials(largeServer), large, large + i);
      groups.push([update, side(`${dialect.name} update`, { ...meta, customers: large }, largeServer, work, update)]);
    }
    ctx.log(
      `alternating ${groups.length} groups, ${ctx.rounds} rounds of ${ctx.load.connections} connections × ${ctx.sliceSeconds} s slices`,
    );
    await alternate({ ...ctx, load: { ...ctx.load, durationSeconds: ctx.sliceSeconds } }, groups);
    ctx.rows.push(...groups.flat().map(rowOf));
  } finally {
    for (const server of running.reverse()) await server.stop();
  }
}

/** custgate on PostgreSQL (one process) beside the same work by hand on `pg`, in alternation; then --workers 2 once. */
export async function postgresCustgate(ctx: RowContext, dir: string, customers: number) {
  const wooshpay = ctx.registered.filter((d) => d.name === 'wooshpay');
  if (!ctx.postgresUrl || wooshpay.length === 0) {
    ctx.notes.push('No PostgreSQL rows: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a postgres:// URL to add them.');
    return;
  }
  const pg2 = { backend: 'postgres', customers, dialects: wooshpay, env: { CUSTGATE_PG_POOL_SIZE: '8' } } as const;
  const hand = await startByHand(ctx, dir, customers, 'PostgreSQL');
  if (!hand) return;
  try {
    const tag = ' (PostgreSQL, 1 process)';
    const server = await startCustgate(ctx, dir, { ...pg2, retrieve: true, tag });
    try {
      const credentials = credentialsOf(server.credentials, 'wooshpay');
      const meta = { dialect: 'wooshpay', customers, backend: 'postgres', variant: tag } as const;
      const handMeta = { kind: 'by-hand', dialect: 'wooshpay', customers, backend: 'postgres' } as const;
      const work = (w: typeof updateWorkload, c: IssuedCredentials, seed: number) => w(hand.dialect, c, customers, seed);
      const handUpdate = side('by hand update (PostgreSQL)', handMeta, hand, work(updateWorkload, hand.credentials, 5));
      const handRetrieve = side('by hand retrieve (PostgreSQL)', handMeta, hand, work(retrieveWorkload, hand.credentials, 5));
      const update = side(
        `wooshpay update${tag}`,
        { kind: 'update', ...meta },
        server,
        work(updateWorkload, credentials, customers),
        handUpdate,
      );
      const retrieve = side(
        `wooshpay retrieve${tag}`,
        { kind: 'retrieve', ...meta },
        server,
        work(retrieveWorkload, credentials, 0),
        handRetrieve,
      );
      await alternate({ ...ctx, load: { ...ctx.load, durationSeconds: ctx.sliceSeconds } }, [
        [handUpdate, update],
        [handRetrieve, retrieve],
      ]);
      ctx.rows.push(...[handUpdate, handRetrieve, update, retrieve].map(rowOf));
    } finally {
      await server.stop();
    }
  } finally {
    await hand.stop();
  }
  await custgate(ctx, dir, { ...pg2, retrieve: true, tag: ' (PostgreSQL, --workers 2)', args: ['--workers', '2'] });
}
