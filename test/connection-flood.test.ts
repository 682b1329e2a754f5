import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, createTenant } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { testEnv } from './support/gateway.ts';
import { testBackend, testDatabaseEnv, testStore } from './support/store.ts';

// One address floods the Node server with connections that send their headers, or their body,
// a byte at a time and never finish (issue #26: 1,050 slow-body connections made 74 of 74 normal
// requests fail). Per-address connection and in-flight limits shed the flood at accept, so other
// clients are still served. The flood comes from 127.0.0.2 (all of 127/8 is loopback on Linux),
// the normal clients from 127.0.0.1. Bounded: CUSTGATE_FLOOD_CONNECTIONS of each kind (default
// 150) and CUSTGATE_FLOOD_NORMAL normal requests (default 40); raise them for a longer local run.

const floodEach = Number(process.env.CUSTGATE_FLOOD_CONNECTIONS ?? 150);
const normalRequests = Number(process.env.CUSTGATE_FLOOD_NORMAL ?? 40);
const floodAddress = '127.0.0.2';

let gateway: NodeGateway | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await gateway?.close();
  gateway = undefined;
});

async function start(extra: Record<string, string>) {
  // A global cap below the flood's size: without per-address limits, the flood fills it.
  const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_MAX_CONNECTIONS: String(floodEach), ...extra };
  gateway = await startNode(env, { port: 0, logger: { error: () => undefined } });
  const key = (await createTenant(gateway.store, loadConfig(env), 'flood')).credentials.wooshpay!.secret_key!;
  return { port: gateway.port, key };
}

/** Opens floodEach connections of each kind from the flood address, each starting a request it never finishes. */
async function flood(port: number, key: string): Promise<{ shed: () => number }> {
  let shed = 0;
  const one = (first: string) =>
    new Promise<void>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: floodAddress }, () => {
        socket.write(first);
        resolve();
      });
      socket.on('error', () => resolve());
      socket.on('close', () => shed++);
      socket.resume();
      sockets.push(socket);
    });
  const slowHeaders = 'GET /gateway/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ';
  const slowBody = `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"na`;
  await Promise.all(Array.from({ length: 2 * floodEach }, (_, i) => one(i % 2 === 0 ? slowBody : slowHeaders)));
  // Let the server accept (or shed) them all before the normal clients come.
  await new Promise((r) => setTimeout(r, 300));
  return { shed: () => shed };
}

/** Normal clients from 127.0.0.1, a few at a time: a read of the health and a customer create each. */
async function normalClients(port: number, key: string): Promise<number> {
  let ok = 0;
  const one = async (i: number) => {
    try {
      const res =
        i % 2 === 0
          ? await fetch(`http://127.0.0.1:${port}/gateway/v1/health`, { signal: AbortSignal.timeout(5_000) })
          : await fetch(`http://127.0.0.1:${port}/v1/customers`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
              body: `name=Normal+${i}`,
              signal: AbortSignal.timeout(5_000),
            });
      await res.arrayBuffer();
      if (res.status === 200) ok++;
    } catch {
      // refused or reset: a failure
    }
  };
  for (let i = 0; i < normalRequests; i += 4) await Promise.all([0, 1, 2, 3].filter((j) => i + j < normalRequests).map((j) => one(i + j)));
  return ok / normalRequests;
}

describe.skipIf(testBackend() !== 'sqlite')('a slow-connection flood from one address', () => {
  it('starves normal clients when the per-address limits are off (the attack)', async () => {
    const { port, key } = await start({ CUSTGATE_MAX_CONNECTIONS_PER_ADDRESS: '0', CUSTGATE_MAX_IN_FLIGHT_PER_ADDRESS: '0' });
    await flood(port, key);
    const rate = await normalClients(port, key);
    console.info(`normal clients' success rate under the flood, limits off: ${(rate * 100).toFixed(0)} %`);
    expect(rate).toBeLessThan(0.5);
  }, 60_000);

  it('sheds the flood at its address’s share and serves every normal client (limits on by default)', async () => {
    const { port, key } = await start({});
    const flooded = await flood(port, key);
    const rate = await normalClients(port, key);
    const defaults = loadConfig(testEnv);
    console.info(
      `normal clients' success rate under the flood, default limits: ${(rate * 100).toFixed(0)} % (${flooded.shed()} of ${2 * floodEach} flood connections shed)`,
    );
    expect(rate).toBe(1);
    // Everything past the address's connection share was closed at once.
    expect(flooded.shed()).toBeGreaterThanOrEqual(2 * floodEach - 100);
    expect(defaults.maxInFlightPerAddress).toBeGreaterThan(0);
  }, 60_000);
});

describe('requests in flight per address', () => {
  it('refuses a request past the limit with 429 in the dialect envelope, before its body is read, and only for that address', async () => {
    const store = await testStore();
    const env = { ...testEnv, CUSTGATE_MAX_IN_FLIGHT_PER_ADDRESS: '2' };
    const config = loadConfig(env);
    const app = createApp({ store, config, logger: { error: () => undefined }, clientAddress: (c) => c.req.header('x-test-client') });
    const key = (await createTenant(store, config, 'in-flight')).credentials.wooshpay!.secret_key!;
    // Two writes whose bodies do not arrive until released: they hold the address's two slots.
    const releases: (() => void)[] = [];
    const slow = (client: string) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          releases.push(() => {
            controller.enqueue(new TextEncoder().encode('name=Slow'));
            controller.close();
          });
        },
      });
      const init = { method: 'POST', body, duplex: 'half' } as RequestInit;
      init.headers = { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded', 'x-test-client': client };
      return app.request('/v1/customers', init);
    };
    const held = [slow('198.51.100.1'), slow('198.51.100.1')];
    await new Promise((r) => setTimeout(r, 50));
    const refused = await app.request('/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded', 'x-test-client': '198.51.100.1' },
      body: 'name=Third',
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
    // Another address is served meanwhile; once the slow ones finish, the first address is again.
    const other = await app.request('/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded', 'x-test-client': '203.0.113.5' },
      body: 'name=Other',
    });
    expect(other.status).toBe(200);
    for (const release of releases) release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    const after = await app.request('/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded', 'x-test-client': '198.51.100.1' },
      body: 'name=After',
    });
    expect(after.status).toBe(200);
  });
});
