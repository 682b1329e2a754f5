import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type NodeGateway, openStore, startNode } from '../src/entries/node.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// A Node gateway's outbox deliveries run in a thread of their own (src/entries/delivery-thread.ts):
// a mirror delivery goes out while the main thread, the one that answers requests, is busy; the
// thread runs at CUSTGATE_DELIVERY_NICE; a gateway without upstreams never starts it. The
// provider is a second custgate process; the gateway runs in this process, so blocking this thread
// blocks its main thread.

let provider: Provider | undefined;
let gateway: NodeGateway | undefined;
let store: Store | undefined;
afterEach(async () => {
  await gateway?.close();
  await store?.executor.close();
  await provider?.process.stop();
  gateway = undefined;
  store = undefined;
  provider = undefined;
});

/**
 * A gateway with two tenants and no upstreams; `addMirror` gives one of them a mirror upstream at a
 * custgate provider (Wooshpay), through the store as `custgate upstream add` would from another process.
 */
async function mirroringGateway(settings: Record<string, string>) {
  provider = await startProvider();
  const env = { ...testDatabaseEnv(), ...testEnv, CUSTGATE_LOG_LEVEL: 'silent', CUSTGATE_OUTBOX_POLL_MS: '100', ...settings };
  store = await openStore(env);
  const config = loadConfig(env);
  const mirrored = await createTenant(store, config, 'mirrored');
  const alone = await createTenant(store, config, 'alone');
  const addMirror = () =>
    addUpstream(store!, keyringFor(config, store!.upstreams), mirrored.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider!.baseUrl('wooshpay'),
      mode: 'mirror',
      credentials: provider!.credentials.wooshpay,
    });
  gateway = await startNode(env, { port: 0, hostname: '127.0.0.1' });
  const base = `http://127.0.0.1:${gateway.port}`;
  const write = async (tenant: typeof mirrored, path: string, body: string) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string };
  };
  const deliveries = async () =>
    (await store!.executor.all(
      queryBuilder(store!.executor.backend)
        .selectFrom('outbox')
        .select(['version', 'state', 'updated_at'])
        .where('tenant_id', '=', mirrored.tenant.id)
        .orderBy('version')
        .compile(),
    )) as { version: number; state: string; updated_at: string }[];
  const delivered = async (n: number) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = await deliveries();
      if (rows.filter((r) => r.state === 'delivered').length >= n) return rows;
      if (Date.now() > deadline) throw new Error(`not delivered: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { gateway, mirrored, alone, addMirror, write, delivered };
}

/** Closes the gateway now (not again after the test). */
async function closeGateway(): Promise<NodeGateway | undefined> {
  const closing = gateway;
  gateway = undefined;
  await closing?.close();
  return closing;
}

/** Holds this thread (the gateway's main thread) for `ms`, as a long synchronous task would. */
function block(ms: number): { from: string; to: string } {
  const from = new Date().toISOString();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return { from, to: new Date().toISOString() };
}

describe('deliveries in a thread of their own', () => {
  it('sends a mirror delivery while the main thread is busy, and starts only once there is an upstream', async () => {
    const { gateway, mirrored, alone, addMirror, write, delivered } = await mirroringGateway({});
    // No upstream: no thread, whatever is written.
    expect(gateway.deliveries?.running).toBe(false);
    await write(alone, '/wooshpay/v1/customers', 'name=Alone');
    await new Promise((r) => setTimeout(r, 300));
    expect(gateway.deliveries?.running).toBe(false);
    // An upstream added by another process: the poll starts it.
    await addMirror();
    await expect.poll(() => gateway.deliveries?.running, { timeout: 5_000 }).toBe(true);
    const { id } = await write(mirrored, '/wooshpay/v1/customers', 'name=Ada');
    await delivered(1);
    // The next write's delivery is sent and settled while this thread is held.
    await write(mirrored, `/wooshpay/v1/customers/${id}`, 'name=Ada+Lovelace');
    const held = block(2_000);
    const rows = await delivered(2);
    const second = rows.find((r) => r.version === 2)!;
    expect(second.state).toBe('delivered');
    expect(second.updated_at >= held.from && second.updated_at <= held.to).toBe(true);
    const closed = await closeGateway();
    expect(closed?.deliveries?.running).toBe(false);
  });

  it('with CUSTGATE_DELIVERY_THREAD=off, sends on the main thread: only after it is free again', async () => {
    const { gateway, mirrored, addMirror, write, delivered } = await mirroringGateway({ CUSTGATE_DELIVERY_THREAD: 'off' });
    expect(gateway.deliveries).toBeUndefined();
    await addMirror();
    const { id } = await write(mirrored, '/wooshpay/v1/customers', 'name=Ada');
    await delivered(1);
    await write(mirrored, `/wooshpay/v1/customers/${id}`, 'name=Ada+Lovelace');
    const held = block(1_000);
    const second = (await delivered(2)).find((r) => r.version === 2)!;
    expect(second.updated_at >= held.to).toBe(true);
  });

  it.runIf(process.platform === 'linux')('runs at CUSTGATE_DELIVERY_NICE while the main thread keeps its priority', async () => {
    const { gateway, mirrored, addMirror, write, delivered } = await mirroringGateway({ CUSTGATE_DELIVERY_NICE: '7' });
    await addMirror();
    await write(mirrored, '/wooshpay/v1/customers', 'name=Ada');
    await delivered(1);
    expect(gateway.deliveries?.running).toBe(true);
    // /proc/<pid>/task/<tid>/stat: the 19th field is the thread's nice value.
    const nice = (task: string) => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]);
    const values = readdirSync('/proc/self/task').map(nice);
    expect(values.filter((n) => n === 7)).toHaveLength(1);
    expect(nice(String(process.pid))).toBe(0);
  });
});
