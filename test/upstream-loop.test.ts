import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { loadConfig } from '../src/config.ts';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { type CreatedTenant, createTenant, addUpstream } from './support/registered.ts';
import type { AccessEntry } from '../src/http/access.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { gatewayIdOf, viaOf } from '../src/upstream/loop.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// Upstream loops (issue #26, item 6): an upstream pointing back at the gateway turned one write
// into thousands of nested requests. Every upstream request now names the gateway in `Via`; one
// that arrives naming it is refused with 508 in the caller's envelope, so a loop costs one extra
// request; and `custgate upstream add` refuses a base URL that is the gateway itself.

const all = Object.values(dialects) as AnyDialect[];

describe('a gateway whose proxy upstream is itself', () => {
  let gateway: NodeGateway;
  let tenant: CreatedTenant;
  let base: string;
  const entries: AccessEntry[] = [];
  const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000' };

  beforeAll(async () => {
    gateway = await startNode(env, { port: 0, logger: { error: () => undefined, access: (entry) => entries.push(entry) } });
    base = `http://127.0.0.1:${gateway.port}`;
    tenant = await createTenant(gateway.store, loadConfig(env), 'loopy');
    // Added directly, as a database edit would: the CLI would refuse it (below).
    await addUpstream(gateway.store, keyringFor(loadConfig(env), gateway.store.upstreams), tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: `${base}/wooshpay`,
      mode: 'proxy',
      credentials: tenant.credentials.wooshpay,
    });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('one write costs one nested request: the inner one is a 508, the client a 502, nothing stored', async () => {
    entries.length = 0;
    const res = await fetch(`${base}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Round',
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.message).toMatch(/508/);
    await new Promise((r) => setTimeout(r, 100));
    expect(entries.map((e) => e.status).sort()).toEqual([502, 508]);
    const db = queryBuilder(gateway.store.executor.backend);
    const stored = await gateway.store.executor.all(
      db.selectFrom('customers').select('id').where('tenant_id', '=', tenant.tenant.id).compile(),
    );
    expect(stored).toEqual([]);
  });

  it.each(all.map((d) => [d.name, d] as const))(
    '%s: a request naming this gateway in Via is a 508 in its own envelope',
    async (_name, dialect) => {
      const id = await gatewayIdOf(gateway.store.upstreams)();
      const request = dialect.client.retrieve('cus_anything', tenant.credentials[dialect.name]!);
      const res = await fetch(`${base}${dialect.routes.prefix}${request.path}`, {
        headers: { ...request.headers, via: `1.1 some-proxy, ${viaOf(id)}` },
      });
      expect(res.status).toBe(508);
      const parsed = dialect.client.parseError({ status: res.status, body: await res.json() });
      expect(parsed.message).toMatch(/already passed through this gateway/);
      // Another gateway's Via is not a loop.
      const other = await fetch(`${base}${dialect.routes.prefix}${request.path}`, {
        headers: { ...request.headers, via: '1.1 custgate-someoneelse' },
      });
      expect(other.status).not.toBe(508);
    },
  );

  it('a mirror delivery answered 508 is dead with loop_detected after one attempt, not retried', async () => {
    const config = loadConfig(env);
    const mirrored = await createTenant(gateway.store, config, 'mirrorloop');
    // Its mirror is this gateway itself, as a database edit would leave it.
    await addUpstream(gateway.store, keyringFor(config, gateway.store.upstreams), mirrored.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: `${base}/wooshpay`,
      mode: 'mirror',
      credentials: mirrored.credentials.wooshpay,
    });
    const res = await fetch(`${base}/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${mirrored.credentials.wooshpay!.secret_key}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'name=Mirrored',
    });
    expect(res.status).toBe(200);
    // The gateway's own outbox sends it (kicked after the write); it stays dead.
    await expect
      .poll(async () => (await gateway.store.outbox.list({ tenantId: mirrored.tenant.id, states: ['dead'] })).length, { timeout: 15_000 })
      .toBe(1);
    const [dead] = await gateway.store.outbox.list({ tenantId: mirrored.tenant.id });
    expect(dead).toMatchObject({ state: 'dead', last_error: expect.stringMatching(/^loop_detected: .*508/) });
    expect(Number(dead?.attempts)).toBe(1);
  });

  it('custgate upstream add refuses a base URL that is this gateway', async () => {
    const credentials = JSON.stringify(tenant.credentials.zenskar);
    await expect(
      runCli(
        [
          'upstream',
          'add',
          tenant.tenant.id,
          '--dialect',
          'zenskar',
          '--base-url',
          `${base}/zenskar`,
          '--mode',
          'mirror',
          '--credentials',
          credentials,
        ],
        env,
      ),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('is this gateway itself') });
    expect((await gateway.store.upstreams.list(tenant.tenant.id)).map((u) => u.dialect)).toEqual(['wooshpay']);
  }, 60_000);
});

/**
 * Two real gateways on two databases, each the other's upstream in `mode`, as two operators could
 * set them up: neither is "this gateway" to the other. Started before the describe's tests.
 */
function twoGateways(mode: 'proxy' | 'mirror', name: string) {
  const ring = { gateways: [] as NodeGateway[], logs: [[], []] as AccessEntry[][], bases: [] as string[], tenants: [] as CreatedTenant[] };
  beforeAll(async () => {
    for (const i of [0, 1]) {
      const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000' };
      const g = await startNode(env, { port: 0, logger: { error: () => undefined, access: (entry) => ring.logs[i]!.push(entry) } });
      ring.gateways.push(g);
      ring.bases.push(`http://127.0.0.1:${g.port}`);
      ring.tenants.push(await createTenant(g.store, loadConfig(env), `${name}${i}`));
    }
    for (const [i, j] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const g = ring.gateways[i]!;
      await addUpstream(g.store, keyringFor(g.config, g.store.upstreams), ring.tenants[i]!.tenant.id, {
        dialect: 'wooshpay',
        baseUrl: `${ring.bases[j]}/wooshpay`,
        mode,
        credentials: ring.tenants[j]!.credentials.wooshpay,
      });
    }
  }, 60_000);
  afterAll(async () => {
    for (const g of ring.gateways) await g.close();
  });
  return ring;
}

describe('two gateways that proxy to each other (A → B → A)', () => {
  const { gateways, logs, bases, tenants } = twoGateways('proxy', 'ring');

  it('a write goes round once: A refuses its own request with 508 when B carries it back, the client gets a 502, nothing stored', async () => {
    const res = await fetch(`${bases[0]}/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenants[0]!.credentials.wooshpay!.secret_key}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'name=Ring',
    });
    // Before B carried the Via it received onwards, A and B called each other until the timeout.
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/508/);
    await new Promise((r) => setTimeout(r, 100));
    expect(logs[0]!.map((e) => e.status).sort()).toEqual([502, 508]);
    expect(logs[1]!.map((e) => e.status)).toEqual([502]);
    for (const [i, g] of gateways.entries()) {
      const db = queryBuilder(g.store.executor.backend);
      const rows = await g.store.executor.all(
        db.selectFrom('customers').select('id').where('tenant_id', '=', tenants[i]!.tenant.id).compile(),
      );
      expect(rows).toEqual([]);
    }
  });

  it('a first-time read goes round once too: B carries A’s Via back, A answers 508, the client a 502', async () => {
    for (const log of logs) log.length = 0;
    const res = await fetch(`${bases[0]}/v1/customers/cus_NeverSeenHere`, {
      headers: { authorization: `Bearer ${tenants[0]!.credentials.wooshpay!.secret_key}` },
    });
    // Before, B looked it up at A naming only itself, and A at B again, until the timeouts.
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/508/);
    await new Promise((r) => setTimeout(r, 100));
    expect(logs[0]!.map((e) => e.status).sort()).toEqual([502, 508]);
    expect(logs[1]!.map((e) => e.status)).toEqual([502]);
  });
});

describe('two gateways that mirror to each other (A ⇄ B)', () => {
  const { gateways, logs, bases, tenants } = twoGateways('mirror', 'echo');

  const customersOf = async (i: number) => {
    const g = gateways[i]!;
    const db = queryBuilder(g.store.executor.backend);
    return g.store.executor.all(db.selectFrom('customers').select('id').where('tenant_id', '=', tenants[i]!.tenant.id).compile());
  };

  it('one write reaches B once; B’s delivery back to A is a 508, dead (loop_detected) after one attempt, no ping-pong', async () => {
    const res = await fetch(`${bases[0]}/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenants[0]!.credentials.wooshpay!.secret_key}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'name=Echo',
    });
    expect(res.status).toBe(200);
    // B's copy carries the Via it arrived with back to A, which finds itself in it.
    await expect
      .poll(async () => (await gateways[1]!.store.outbox.list({ tenantId: tenants[1]!.tenant.id, states: ['dead'] })).length, {
        timeout: 15_000,
      })
      .toBe(1);
    const [dead] = await gateways[1]!.store.outbox.list({ tenantId: tenants[1]!.tenant.id });
    expect(dead).toMatchObject({ state: 'dead', last_error: expect.stringMatching(/^loop_detected: .*508/) });
    expect(Number(dead?.attempts)).toBe(1);
    expect(dead?.via).toMatch(/^1\.1 custgate-\S+$/);
    const [sent] = await gateways[0]!.store.outbox.list({ tenantId: tenants[0]!.tenant.id });
    expect(sent).toMatchObject({ state: 'delivered', via: null });
    // Both dispatchers idle a while: nothing more goes round (before, each copy made another).
    await new Promise((r) => setTimeout(r, 1500));
    expect(await customersOf(0)).toHaveLength(1);
    expect(await customersOf(1)).toHaveLength(1);
    expect(logs[0]!.map((e) => e.status).sort()).toEqual([200, 508]);
    expect(logs[1]!.map((e) => e.status)).toEqual([200]);
    expect(await gateways[0]!.store.outbox.list({ tenantId: tenants[0]!.tenant.id })).toHaveLength(1);
    expect(await gateways[1]!.store.outbox.list({ tenantId: tenants[1]!.tenant.id })).toHaveLength(1);
  });
});
