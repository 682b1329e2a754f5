import { addUpstream, createTenant } from './support/registered.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf, type DialectName } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { openStore } from '../src/entries/node.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { FaultProxy, seededRandom } from './support/fault-proxy.ts';
import { probeAuth, testEnv } from './support/gateway.ts';
import { type GatewayProcess, runCli, startGatewayProcess } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// Mirror mode end to end, under faults. Gateway A (one process on SQLite, two on PostgreSQL)
// mirrors a tenant to gateway B's Zenskar dialect through a proxy that drops connections, answers
// 500 and 429 with Retry-After, and stalls past A's timeout, at random; A is killed with SIGKILL at
// random points and restarted. Afterwards: A's outbox is empty, every acknowledged write is in B's
// change history, in A's version order, no customer was created twice at B, and no delivery was
// at B twice at the same moment. Bounded by count; MIRROR_UPDATES, MIRROR_KILLS, MIRROR_FAULT_RATE
// and MIRROR_SEED make longer or other runs.

const updates = Number(process.env.MIRROR_UPDATES ?? 500);
const kills = Number(process.env.MIRROR_KILLS ?? 5);
const faultRate = Number(process.env.MIRROR_FAULT_RATE ?? 0.25);
const seed = Number(process.env.MIRROR_SEED ?? Date.now() % 100_000);
const customersCount = 20;
const concurrency = 4;
const processesA = testBackend() === 'postgres' ? 2 : 1;

const all = Object.values(dialects) as AnyDialect[];

interface Ids {
  uuid: string;
  public_id: string;
  number: number;
}

const aEnv = (db: Record<string, string>) => ({
  ...testEnv,
  ...db,
  CUSTGATE_UPSTREAM_TIMEOUT_MS: '800',
  CUSTGATE_OUTBOX_BASE_DELAY_MS: '50',
  CUSTGATE_OUTBOX_MAX_DELAY_MS: '800',
  CUSTGATE_OUTBOX_POLL_MS: '200',
  // Faults go on for the whole run: nothing may be dead-lettered for them.
  CUSTGATE_OUTBOX_MAX_ATTEMPTS: '100000',
});

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe(`mirror to a Zenskar upstream under faults (${processesA} gateway process${processesA > 1 ? 'es' : ''} A)`, () => {
  let b: Provider;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  let tenant: { id: string; credentials: Record<DialectName, IssuedCredentials> };
  let shadowTenant: { id: string; credentials: Record<DialectName, IssuedCredentials> };
  const a: (GatewayProcess | undefined)[] = [];
  const random = seededRandom(seed);

  beforeAll(async () => {
    b = await startProvider();
    proxy = new FaultProxy({ target: b.base, rate: faultRate, seed, stallMs: 1500, retryAfterSeconds: 1 });
    const proxyUrl = await proxy.start();
    env = aEnv(testDatabaseEnv());
    const store = await openStore(env);
    try {
      // Made here as `custgate tenant create` makes them: a CLI process each would cost another
      // start of the whole program (2–3 s of CPU; the CLI's own tests run the command).
      const tenantOf = async (name: string) => {
        const made = await createTenant(store, loadConfig(env), name);
        return { id: made.tenant.id, credentials: made.credentials as Record<DialectName, IssuedCredentials> };
      };
      tenant = await tenantOf('mirrored');
      shadowTenant = await tenantOf('shadowed');
      const keyring = keyringFor(loadConfig(env), store.upstreams);
      const zenskar = b.credentials.zenskar;
      await addUpstream(store, keyring, tenant.id, {
        dialect: 'zenskar',
        baseUrl: `${proxyUrl}/zenskar`,
        mode: 'mirror',
        credentials: zenskar,
      });
      // The shadow tenant talks to B directly: its test is about the comparison, not the faults.
      await addUpstream(store, keyring, shadowTenant.id, {
        dialect: 'zenskar',
        baseUrl: b.baseUrl('zenskar'),
        mode: 'shadow',
        credentials: zenskar,
      });
    } finally {
      await store.executor.close();
    }
    for (let i = 0; i < processesA; i++) a.push(await startGatewayProcess(env));
  }, 300_000);

  afterAll(async () => {
    for (const p of a) await p?.stop();
    await proxy?.stop();
    await b?.process.stop();
  });

  /** One of A's processes that is up (waiting while the only one restarts). */
  const live = async (): Promise<GatewayProcess> =>
    until('a gateway A process', 120_000, async () => {
      const up = a.filter((p): p is GatewayProcess => p !== undefined);
      return up[Math.floor(random() * up.length)];
    });

  async function send(
    dialect: AnyDialect,
    method: string,
    path: string,
    body: unknown,
    credentials: IssuedCredentials,
  ): Promise<Response | undefined> {
    const target = await live();
    try {
      return await fetch(`${target.base}${dialect.routes.prefix}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...fixturesOf(dialect).auth(credentials) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      return undefined; // A was killed under the request: not acknowledged
    }
  }

  async function gatewayGet(path: string, at?: string, credentials = tenant.credentials) {
    const base = at ?? (await live()).base;
    const res = await fetch(`${base}/gateway/v1${path}`, { headers: { authorization: `Bearer ${credentials.wooshpay!.secret_key}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  /** The detailed health, as the operator reads it (CUSTGATE_PROBE_TOKEN). */
  async function probeGet(path: string) {
    const res = await fetch(`${(await live()).base}/gateway/v1${path}`, { headers: probeAuth });
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  it('delivers every acknowledged write once, in order, through drops, 500s, 429s, stalls and kill -9', async () => {
    const started = Date.now();
    // Customers, created through each dialect in turn (creates are mirrored too).
    const customers: Ids[] = [];
    for (let i = 0; i < customersCount; i++) {
      const dialect = all[i % all.length]!;
      let res: Response | undefined;
      for (let attempt = 0; attempt < 5 && res?.status !== dialect.wire.createdStatus; attempt++) {
        res = await send(
          dialect,
          'POST',
          dialect.routes.collection,
          fixturesOf(dialect).create,
          tenant.credentials[dialect.name as DialectName]!,
        );
      }
      expect(res?.status).toBe(dialect.wire.createdStatus);
      const ref = fixturesOf(dialect).idOf(await res!.json());
      const view = (await gatewayGet(`/customers/${encodeURIComponent(ref)}`)) as { ids: Ids };
      customers.push(view.ids);
    }

    // Updates through all five dialects, a few at a time (one at a time per customer), with A
    // killed and restarted at random points.
    const acked: { uuid: string; name: string }[] = [];
    const killAt = new Set<number>();
    while (killAt.size < kills) killAt.add(1 + Math.floor(random() * (updates - 1)));
    let next = 0;
    let killed = 0;
    const busy = new Set<string>();
    async function worker(): Promise<void> {
      for (;;) {
        const n = next++;
        if (n >= updates) return;
        if (killAt.has(n)) {
          // Two kill points can come due while the only A is still restarting: wait for it.
          let victim = a.findIndex((p) => p !== undefined);
          while (victim < 0) {
            await new Promise((r) => setTimeout(r, 50));
            victim = a.findIndex((p) => p !== undefined);
          }
          const p = a[victim]!;
          a[victim] = undefined;
          p.child.kill('SIGKILL');
          await new Promise((r) => p.child.once('exit', r));
          killed++;
          // While one is down, the other (PostgreSQL) keeps serving and dispatching.
          a[victim] = await startGatewayProcess(env);
        }
        let customer = customers[Math.floor(random() * customers.length)]!;
        while (busy.has(customer.uuid)) customer = customers[Math.floor(random() * customers.length)]!;
        busy.add(customer.uuid);
        const dialect = all[n % all.length]!;
        const name = `Update ${n} via ${dialect.name}`;
        const res = await send(
          dialect,
          dialect.routes.update,
          `${dialect.routes.collection}/${encodeURIComponent(fixturesOf(dialect).ref(customer))}`,
          fixturesOf(dialect).setName(name),
          tenant.credentials[dialect.name as DialectName]!,
        );
        if (res?.status === 200) acked.push({ uuid: customer.uuid, name });
        else if (res) expect.soft(res.status, await res.text()).toBe(200);
        busy.delete(customer.uuid);
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker));

    // The outbox drains to zero (faults still on).
    await until('the outbox to drain', 240_000, async () => {
      const health = (await probeGet('/health')) as { outbox: { pending: number; dead: number } };
      return health.outbox.pending === 0 ? health.outbox : undefined;
    });
    const health = (await probeGet('/health')) as { outbox: { pending: number; dead: number; capped: boolean } };
    expect(health.outbox).toEqual({ pending: 0, dead: 0, capped: false });

    // What B holds: its customers, and each one's change history (B's own API).
    const bStore = await openStore(b.env);
    const store = await openStore(env);
    let duplicates = 0;
    let losses = 0;
    let orderViolations = 0;
    try {
      const db = queryBuilder(bStore.executor.backend);
      const atB = await bStore.executor.all(db.selectFrom('customers').select('id').where('tenant_id', '=', b.tenantId).compile());
      duplicates = atB.length - customers.length;
      for (const customer of customers) {
        const links = await store.upstreams.linksOf(tenant.id, customer.uuid);
        expect(links.length).toBe(1);
        const bEvents = (await gatewayGet(`/customers/${links[0]!.remote_id}/events`, b.base, b.credentials)) as {
          data: { changes: { field: string; after: unknown }[] }[];
        };
        const bNames = bEvents.data.flatMap((e) => e.changes.filter((c) => c.field === 'name').map((c) => c.after));
        // A's version of each name it committed: B must have received them in rising version order.
        const aEvents = await store.listEvents(tenant.id, customer.uuid);
        const versionOf = new Map<unknown, number>();
        for (const e of aEvents)
          for (const c of JSON.parse(e.changes) as { field: string; after: unknown }[])
            if (c.field === 'name') versionOf.set(c.after, Number(e.version));
        let last = 0;
        for (const name of bNames) {
          const v = versionOf.get(name) ?? 0;
          if (v < last) orderViolations++;
          last = Math.max(last, v);
        }
        // A delivery carries the customer as it is when sent (built from the current customer, not
        // replayed), so a name B never saw is lost only if no later version reached B.
        for (const ack of acked.filter((w) => w.uuid === customer.uuid))
          if (!bNames.includes(ack.name) && (versionOf.get(ack.name) ?? 0) >= last) losses++;
        // And B ends where A ends.
        const aNow = (await gatewayGet(`/customers/${customer.uuid}`)) as { name: string };
        if (bNames.at(-1) !== aNow.name) losses++;
      }
    } finally {
      await bStore.executor.close();
      await store.executor.close();
    }
    const deliveries = proxy.forwarded.filter((f) => f.delivery !== undefined).length;
    const figures = {
      backend: testBackend(),
      processesA,
      seed,
      updates,
      acknowledged: acked.length,
      faults: { ...proxy.faults, total: proxy.injected },
      kills: killed,
      deliveriesAtB: deliveries,
      concurrentSameDelivery: proxy.overlaps.length,
      duplicates,
      orderViolations,
      losses,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`mirror fault figures: ${JSON.stringify(figures)}`);
    expect(killed).toBe(kills);
    expect(proxy.injected).toBeGreaterThan(0);
    expect({ duplicates, orderViolations, losses, overlaps: proxy.overlaps.length }).toEqual({
      duplicates: 0,
      orderViolations: 0,
      losses: 0,
      overlaps: 0,
    });
  }, 600_000);

  it("shadow: after B's copy is edited at B, the next comparison reports exactly that field", async () => {
    const wooshpay = dialects.wooshpay as AnyDialect;
    const created = await send(
      wooshpay,
      'POST',
      '/v1/customers',
      { name: 'Shadowed', email: 'shadow@example.com', phone: '+15555550100' },
      shadowTenant.credentials.wooshpay!,
    );
    expect(created?.status).toBe(200);
    const { id } = (await created!.json()) as { id: string };
    const delivered = async () => {
      const list = (await gatewayGet(`/customers/${id}/deliveries`, undefined, shadowTenant.credentials)) as { data: { state: string }[] };
      return list.data.length > 0 && list.data.every((d) => d.state === 'delivered') ? list.data.length : undefined;
    };
    await until('the create to reach B', 60_000, delivered);
    const first = (await gatewayGet('/shadow', undefined, shadowTenant.credentials)) as {
      dialects: { checks: number; mismatched: number }[];
    };
    expect(first.dialects).toEqual([expect.objectContaining({ dialect: 'zenskar', checks: 1, mismatched: 0 })]);

    // Someone edits the customer at the provider, behind the gateway's back.
    const store = await openStore(env);
    const view = (await gatewayGet(`/customers/${id}`, undefined, shadowTenant.credentials)) as { ids: Ids };
    const link = (await store.upstreams.linksOf(shadowTenant.id, view.ids.uuid))[0]!;
    await store.executor.close();
    const zenskar = dialects.zenskar as AnyDialect;
    const edit = await fetch(`${b.baseUrl('zenskar')}/customers/${link.remote_id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...fixturesOf(zenskar).auth(b.credentials.zenskar) },
      body: JSON.stringify({ phone_number: '+15555550199' }),
    });
    expect(edit.status).toBe(200);

    // The next write through A (another field) is delivered, then compared.
    const updated = await send(wooshpay, 'POST', `/v1/customers/${id}`, { description: 'VIP' }, shadowTenant.credentials.wooshpay!);
    expect(updated?.status).toBe(200);
    await until('the update to reach B', 60_000, async () => ((await delivered()) === 2 ? 2 : undefined));
    const report = (await gatewayGet('/shadow', undefined, shadowTenant.credentials)) as {
      dialects: {
        dialect: string;
        checks: number;
        mismatched: number;
        fields: { field: string; samples: { local: unknown; upstream: unknown }[] }[];
      }[];
    };
    const zenskarReport = report.dialects[0]!;
    expect(zenskarReport).toMatchObject({ dialect: 'zenskar', checks: 2, mismatched: 1 });
    expect(zenskarReport.fields.map((f) => f.field)).toEqual(['phone']);
    expect(zenskarReport.fields[0]!.samples[0]).toMatchObject({ local: '+15555550100', upstream: '+15555550199' });

    const printed = await runCli(['shadow', 'report', 'shadowed'], env);
    expect(printed).toContain('phone: 1');
  }, 300_000);
});
