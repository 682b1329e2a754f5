import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant } from './support/registered.ts';
import { testEnv } from './support/gateway.ts';
import { type GatewayProcess, startGatewayProcess } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// Several real gateway processes on one PostgreSQL, as behind a load balancer: one plain
// `custgate serve` and one `custgate serve --workers 2`, all started at once on an empty schema
// (their migrations race). Concurrent updates to the same customers go through different
// processes; whatever each process keeps in memory, nothing acknowledged may be lost.
// Kept small (a few hundred requests) for a shared 2-core CI machine.

const customers = 3;
const writesPerCustomer = 40;
const concurrency = 12;
const idempotentKeys = 8;

interface Outcome {
  readonly customer: string;
  readonly key: string;
  readonly status: number;
}

/** Runs the tasks with at most `limit` in flight. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

describe.skipIf(testBackend() !== 'postgres')('several gateway processes on one PostgreSQL', () => {
  let gateways: GatewayProcess[] = [];
  let auth: Record<string, string>;
  let credentials: Awaited<ReturnType<typeof createTenant>>['credentials'];
  const ids: string[] = [];

  const at = (i: number) => gateways[i % gateways.length]!;

  beforeAll(async () => {
    const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_PG_POOL_SIZE: '4' };
    gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env, ['--workers', '2'], 2)]);
    const store = await openStore(env);
    try {
      const tenant = await createTenant(store, loadConfig(env), 'acme');
      auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` };
      credentials = tenant.credentials;
    } finally {
      await store.executor.close();
    }
    for (let c = 0; c < customers; c++) {
      const res = await fetch(`${at(c).base}/v1/customers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: `name=Customer+${c}&metadata[origin]=create`,
      });
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { id: string }).id);
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
  });

  const update = (gateway: GatewayProcess, id: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.base}/v1/customers/${id}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });

  const read = async (id: string, path = '') => {
    const res = await fetch(`${at(1).base}/gateway/v1/customers/${id}${path}`, { headers: auth });
    expect(res.status).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };

  it('loses no acknowledged update: every metadata key survives, versions and events are complete', async () => {
    const tasks: (() => Promise<Outcome>)[] = [];
    for (let w = 0; w < writesPerCustomer; w++) {
      for (const [c, id] of ids.entries()) {
        const key = `k${w}`;
        // JSON and form bodies alternate: both decode to the same merge.
        const json = w % 2 === 0;
        tasks.push(async () => {
          const res = json
            ? await fetch(`${at(w + c).base}/v1/customers/${id}`, {
                method: 'POST',
                headers: { ...auth, 'content-type': 'application/json' },
                body: JSON.stringify({ metadata: { [key]: `v${w}` } }),
              })
            : await update(at(w + c), id, `metadata[${key}]=v${w}`);
          await res.arrayBuffer();
          return { customer: id, key, status: res.status };
        });
      }
    }
    const outcomes = await pool(tasks, concurrency);
    // Writers of one customer queue in each process and take the row lock across processes: none is refused.
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);

    for (const id of ids) {
      const mine = outcomes.filter((o) => o.customer === id);
      const acked = mine.filter((o) => o.status === 200).map((o) => o.key);
      const refused = mine.filter((o) => o.status !== 200).map((o) => o.key);
      const customer = (await read(id)) as { metadata: Record<string, string>; version: number };
      for (const key of acked) expect(customer.metadata[key], `${id} ${key}`).toBe(`v${key.slice(1)}`);
      for (const key of refused) expect(customer.metadata[key], `${id} ${key} was refused`).toBeUndefined();
      expect(customer.metadata.origin).toBe('create');

      const { data: events } = (await read(id, '/events')) as {
        data: { version: number; action: string; changes: { field: string; after: unknown }[] }[];
      };
      // One create, then exactly one event per acknowledged update, versions 1, 2, 3, … with no gap.
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: acked.length + 1 }, (_, i) => i + 1));
      expect(events[0]?.action).toBe('create');
      expect(customer.version).toBe(events.length);
      expect(typeof customer.version).toBe('number');
    }
  }, 240_000);

  it('acknowledges and keeps 48 simultaneous writes to one customer alternating between processes', async () => {
    const writers = Number(process.env.CUSTGATE_TEST_WRITERS ?? 48);
    const res = await fetch(`${at(0).base}/v1/customers`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Crowded',
    });
    const { id } = (await res.json()) as { id: string };
    // Two real processes: the plain one and the --workers 2 one (whose two workers share its port).
    const outcomes = await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        const answer = await update(at(i), id, `metadata[w${i}]=v${i}`);
        return { status: answer.status, text: await answer.text() };
      }),
    );
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    const customer = (await read(id)) as { metadata: Record<string, string>; version: number };
    expect(customer.metadata).toEqual(Object.fromEntries(Array.from({ length: writers }, (_, i) => [`w${i}`, `v${i}`])));
    expect(customer.version).toBe(writers + 1);
    const { data: events } = (await read(id, '/events')) as { data: { version: number }[] };
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: writers + 1 }, (_, i) => i + 1));
  }, 120_000);

  it('runs an Idempotency-Key once when two processes receive it at the same time', async () => {
    const id = ids[0]!;
    const before = (await read(id, '/events')) as { data: unknown[] };
    for (let k = 0; k < idempotentKeys; k++) {
      const key = `idem-${k}-${Date.now()}`;
      const body = `metadata[idem${k}]=once`;
      const responses = await Promise.all(gateways.map((g) => update(g, id, body, { 'idempotency-key': key })));
      const results = await Promise.all(
        responses.map(async (res) => ({ status: res.status, replayed: res.headers.get('idempotent-replayed'), body: await res.text() })),
      );
      const executed = results.filter((r) => r.status === 200 && r.replayed === null);
      const replayed = results.filter((r) => r.status === 200 && r.replayed === 'true');
      const inFlight = results.filter((r) => r.status === 409);
      expect(executed, JSON.stringify(results)).toHaveLength(1);
      expect(replayed.length + inFlight.length).toBe(results.length - 1);
      for (const r of replayed) expect(r.body).toBe(executed[0]!.body);
      // Afterwards every process replays the stored response.
      const again = await update(at(k + 1), id, body, { 'idempotency-key': key });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.text()).toBe(executed[0]!.body);
    }
    const after = (await read(id, '/events')) as { data: unknown[] };
    expect(after.data.length - before.data.length).toBe(idempotentKeys);
  }, 120_000);

  it('interleaved updates through every dialect on different processes lose no field', async () => {
    const rounds = 6;
    // One field per dialect, each written only by that dialect, so every acknowledged value is
    // the expected one at the end of its round.
    const writes: Record<
      DialectName,
      { field: string; body: (round: number, c: number) => unknown; value: (round: number, c: number) => unknown }
    > = {
      wooshpay: { field: 'description', body: (r, c) => ({ description: `d${r}-${c}` }), value: (r, c) => `d${r}-${c}` },
      connhex: { field: 'invoice_prefix', body: (r, c) => ({ invoice_prefix: `R${r}C${c}X` }), value: (r, c) => `R${r}C${c}X` },
      meteroid: { field: 'alias', body: (r, c) => ({ alias: `al-${r}-${c}` }), value: (r, c) => `al-${r}-${c}` },
      bigcapital: {
        field: 'website',
        body: (r, c) => ({ customerType: 'business', displayName: `Customer ${c}`, website: `https://r${r}.example` }),
        value: (r) => `https://r${r}.example`,
      },
      zenskar: { field: 'external_id', body: (r, c) => ({ external_id: `ext-${r}-${c}` }), value: (r, c) => `ext-${r}-${c}` },
    };
    const names = Object.keys(dialects) as DialectName[];
    for (let round = 0; round < rounds; round++) {
      const tasks = ids.flatMap((id, c) =>
        names.map((name, d) => async () => {
          const dialect = dialects[name];
          const canonical = (await read(id)) as { ids: { uuid: string; public_id: string; number: number } };
          const res = await fetch(
            `${at(round + c + d).base}${dialect.routes.prefix}${dialect.routes.collection}/${fixturesOf(dialect).ref(canonical.ids)}`,
            {
              method: dialect.routes.update,
              headers: { 'content-type': 'application/json', ...fixturesOf(dialect).auth(credentials[name]!) },
              body: JSON.stringify(writes[name].body(round, c)),
            },
          );
          return { id, c, name, status: res.status, text: await res.text() };
        }),
      );
      const before = await Promise.all(ids.map((id) => read(id) as Promise<{ version: number }>));
      const outcomes = await Promise.all(tasks.map((t) => t()));
      for (const o of outcomes) expect(o.status, `${o.name}: ${o.text}`).toBe(200);
      for (const [c, id] of ids.entries()) {
        const customer = (await read(id)) as Record<string, unknown> & { version: number; ids: Record<string, unknown> };
        // Identifiers are shown under `ids` in the canonical view.
        const shown = (field: string) => (field === 'alias' || field === 'external_id' ? customer.ids[field] : customer[field]);
        const mine = outcomes.filter((o) => o.id === id);
        for (const o of mine.filter((m) => m.status === 200)) {
          expect(shown(writes[o.name].field), `round ${round} ${o.name}`).toEqual(writes[o.name].value(round, c));
        }
        // Each acknowledged write that changed something is exactly one version.
        expect(customer.version - before[c]!.version).toBeLessThanOrEqual(mine.filter((m) => m.status === 200).length);
        const { data: events } = (await read(id, '/events')) as { data: { version: number }[] };
        expect(events.map((e) => e.version)).toEqual(Array.from({ length: customer.version }, (_, i) => i + 1));
      }
    }
  }, 240_000);
});
