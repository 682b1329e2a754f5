import type { ReplicaLookup, ReplicaTarget } from '../core/index.ts';
import type { Step, UpstreamRepository, UpstreamRow } from '../store/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { Upstream } from './client.ts';

// A tenant's upstreams as every part of a process uses them: the proxy decision and the outbox
// recording of each write, and the outbox dispatcher's delivery. They are listed and their
// credentials decrypted once per change, not per write or delivery: a point read of the tenant's
// counter (raised with every change to its upstreams, in the same atomic unit, by whichever
// process made it: migration 0023's triggers on `upstreams`) says whether what is kept is still current.

/** What a write needs to know of its tenant's upstreams. */
export interface TenantUpstreams {
  /** The proxy upstream (there is at most one): writes go there first (proxy.ts); none: to the local store alone. */
  readonly proxy: Upstream | undefined;
  /** The mirror and shadow upstreams: each committed write records a delivery to each. */
  readonly replicas: readonly ReplicaTarget[];
}

interface Kept {
  readonly version: number;
  readonly rows: readonly UpstreamRow[];
  readonly replicas: readonly ReplicaTarget[];
  /** Opened upstreams by id, each decrypted on first use. */
  readonly opened: Map<string, Promise<Upstream>>;
}

const none: TenantUpstreams = { proxy: undefined, replicas: [] };

/** Tenants kept at most; past it the cache starts again (a tenant costs one list to come back). */
const maxTenants = 10_000;

export class Upstreams {
  readonly #repository: Pick<UpstreamRepository, 'version' | 'list' | 'versionCheck'>;
  readonly #open: (row: UpstreamRow) => Promise<Upstream>;
  readonly #dialectOf: (name: string) => AnyDialect;
  readonly #kept = new Map<string, Kept>();

  /** `open` decrypts a row's credentials (UpstreamClient.open); `dialectOf` finds a row's dialect among the gateway's (UpstreamClient.dialectOf). */
  constructor(
    repository: Pick<UpstreamRepository, 'version' | 'list' | 'versionCheck'>,
    open: (row: UpstreamRow) => Promise<Upstream>,
    dialectOf: (name: string) => AnyDialect,
  ) {
    this.#repository = repository;
    this.#open = open;
    this.#dialectOf = dialectOf;
  }

  /** The tenant's upstreams as of now: one point read when nothing changed since they were last read. */
  async of(tenantId: string): Promise<TenantUpstreams> {
    const kept = await this.#current(tenantId);
    if (kept.rows.length === 0) return none;
    const proxy = kept.rows.find((row) => row.mode === 'proxy');
    return { proxy: proxy && (await this.#opened(tenantId, kept, proxy)), replicas: kept.replicas };
  }

  /**
   * What this process keeps of a tenant without a proxy upstream, read from nothing, with the step
   * that makes a write routed by it safe: the write commits only while the tenant's counter is
   * still the kept one (CheckFailed otherwise; then ask `of`). It saves the write the counter's
   * round trip where the store checks inside a write (PostgreSQL, SQLite); undefined elsewhere (D1), when
   * nothing is kept, or when the tenant has a proxy upstream.
   */
  kept(tenantId: string): { readonly upstreams: TenantUpstreams; readonly check: Step } | undefined {
    const kept = this.#kept.get(tenantId);
    if (!kept || kept.rows.some((row) => row.mode === 'proxy')) return undefined;
    const check = this.#repository.versionCheck(tenantId, kept.version);
    return check && { upstreams: { proxy: undefined, replicas: kept.replicas }, check };
  }

  /** One upstream in service, opened (the outbox's delivery); undefined once it was removed. */
  async find(tenantId: string, upstreamId: string): Promise<Upstream | undefined> {
    const kept = await this.#current(tenantId);
    const row = kept.rows.find((r) => r.id === upstreamId);
    return row && this.#opened(tenantId, kept, row);
  }

  /** The ReplicaLookup port of the write path (src/core/replicas.ts). */
  readonly replicas: ReplicaLookup = async (tenantId) => (await this.#current(tenantId)).replicas;

  async #current(tenantId: string): Promise<Kept> {
    // The counter first, then the rows: a change between the two leaves rows newer than the
    // counter, which the next read finds changed and lists again (never the other way round).
    const version = await this.#repository.version(tenantId);
    const kept = this.#kept.get(tenantId);
    if (kept && kept.version === version) return kept;
    const rows = await this.#repository.list(tenantId);
    const fresh: Kept = { version, rows, replicas: replicasOf(rows, this.#dialectOf), opened: new Map() };
    if (this.#kept.size >= maxTenants) this.#kept.clear();
    this.#kept.set(tenantId, fresh);
    return fresh;
  }

  #opened(tenantId: string, kept: Kept, row: UpstreamRow): Promise<Upstream> {
    let opened = kept.opened.get(row.id);
    if (!opened) {
      opened = this.#open(row);
      // Unreadable credentials are tried again on the next use, not kept as a failure.
      opened.catch(() => {
        if (this.#kept.get(tenantId) === kept) kept.opened.delete(row.id);
      });
      kept.opened.set(row.id, opened);
    }
    return opened;
  }
}

/** The mirror and shadow upstreams among these rows. */
export function replicasOf(rows: readonly UpstreamRow[], dialectOf: (name: string) => AnyDialect): ReplicaTarget[] {
  const replicas: ReplicaTarget[] = [];
  for (const row of rows) {
    if (row.mode === 'mirror' || row.mode === 'shadow') replicas.push({ id: row.id, dialect: dialectOf(row.dialect).name, mode: row.mode });
  }
  return replicas;
}
