import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type NodeGateway, openStore, startNode } from '../src/entries/node.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { type Provider, startProvider } from './support/upstream.ts';
import { testDatabaseEnv } from './support/store.ts';

// A Node gateway's upstream calls go over a keep-alive agent with a bound on the sockets to one
// origin (CUSTGATE_UPSTREAM_SOCKETS, src/upstream/node-transport.ts): a burst of proxied writes
// opens at most that many connections to the provider, each reused, and every write lands. A TCP
// relay in front of a custgate process playing the provider counts the connections.

describe('a burst of proxied writes through a Node gateway', () => {
  let provider: Provider;
  let relay: Server;
  let gateway: NodeGateway;
  let key: string;
  let connections = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    provider = await startProvider();
    const target = new URL(provider.base);
    relay = createServer((client) => {
      connections++;
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as AddressInfo;
    const env = { ...testDatabaseEnv(), ...testEnv, CUSTGATE_UPSTREAM_SOCKETS: '2', CUSTGATE_LOG_LEVEL: 'silent' };
    const store = await openStore(env);
    const config = loadConfig(env);
    const tenant = await createTenant(store, config, 'sockets');
    key = tenant.credentials.wooshpay?.secret_key ?? '';
    await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: `http://127.0.0.1:${port}/wooshpay`,
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
    });
    connections = 0;
    gateway = await startNode(env, { port: 0, hostname: '127.0.0.1', store, logger: { error: () => undefined } });
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await provider?.process.stop();
  });

  it('opens at most CUSTGATE_UPSTREAM_SOCKETS connections to the provider and loses no write', async () => {
    const created = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/customers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: `name=Burst+${i}&email=burst${i}%40example.com`,
        });
        return { status: res.status, body: (await res.json()) as { id: string; name: string } };
      }),
    );
    expect(created.map((c) => c.status)).toEqual(Array(12).fill(200));
    expect(new Set(created.map((c) => c.body.id)).size).toBe(12);
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(2);
    // Each customer is at the provider, once.
    const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers?limit=100`, {
      headers: { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` },
    });
    const names = ((await res.json()) as { data: { name: string }[] }).data.map((c) => c.name).sort();
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `Burst ${i}`).sort());
  });
});
