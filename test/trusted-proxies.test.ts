import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTenant } from './support/registered.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { testEnv } from './support/gateway.ts';
import { testDatabaseEnv } from './support/store.ts';

// The failed-authentication lockout behind a reverse proxy (docs/security.md#the-client-address).
// A real server on 127.0.0.1; the proxy's connections come from 127.0.0.2, an outsider's from
// 127.0.0.3 (all of 127/8 is loopback on Linux), each request naming its client in X-Forwarded-For
// as a proxy does. Before CUSTGATE_TRUSTED_PROXIES every request was limited by its socket's address,
// so one client's bad keys through the proxy locked out every client behind it.

const proxy = '127.0.0.2';
const outsider = '127.0.0.3';
const limit = 3;

const started: NodeGateway[] = [];
const held: Socket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.destroy();
  for (const gateway of started.splice(0)) await gateway.close();
});

/** A real server with the failed-authentication limit at `limit`, and a tenant's Wooshpay key. */
async function start(extra: Record<string, string>) {
  const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_AUTH_FAILURE_LIMIT: String(limit), ...extra };
  const gateway = await startNode(env, { port: 0, logger: { error: () => undefined } });
  started.push(gateway);
  const tenant = await createTenant(gateway.store, loadConfig(env), 'proxied');
  return { port: gateway.port, key: tenant.credentials.wooshpay!.secret_key! };
}

/** One GET from `from` (the socket's address), with the headers given; its status. */
function get(port: number, from: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const bad = { authorization: 'Bearer sk_test_wrong' };
const forwarded = (client: string) => ({ 'x-forwarded-for': client });

/** A client behind the proxy sends `limit` bad keys and then its good one: it is locked out. */
async function lockOut(port: number, key: string, client: string) {
  for (let i = 0; i < limit; i++) expect(await get(port, proxy, '/v1/customers/cus_none', { ...bad, ...forwarded(client) })).toBe(401);
  const good = { authorization: `Bearer ${key}`, ...forwarded(client) };
  expect(await get(port, proxy, '/v1/customers/cus_none', good)).toBe(429);
  expect(await get(port, proxy, '/gateway/v1/customers/cus_none', good)).toBe(429);
}

describe('the client address behind a reverse proxy', () => {
  it('with the proxy trusted, one client locked out leaves the other served', async () => {
    const { port, key } = await start({ CUSTGATE_TRUSTED_PROXIES: `${proxy}, 10.0.0.0/8` });
    await lockOut(port, key, '203.0.113.1');
    const other = { authorization: `Bearer ${key}`, ...forwarded('198.51.100.7, 203.0.113.2') };
    expect(await get(port, proxy, '/v1/customers/cus_none', other)).toBe(404);
    expect(await get(port, proxy, '/gateway/v1/customers/cus_none', other)).toBe(404);
    // A hop written with its port is its address, whatever the port.
    expect(await get(port, proxy, '/v1/customers/cus_none', { ...bad, ...forwarded('203.0.113.1:51234') })).toBe(429);
    for (let i = 0; i < limit; i++) {
      expect(await get(port, proxy, '/v1/customers/cus_none', { ...bad, ...forwarded(`[2001:db8::1]:${1000 + i}`) })).toBe(401);
    }
    expect(await get(port, proxy, '/v1/customers/cus_none', { ...other, ...forwarded('2001:db8::1') })).toBe(429);
    // Through a second trusted hop (10.1.2.3) the client is still the hop before it.
    expect(await get(port, proxy, '/v1/customers/cus_none', { ...bad, ...forwarded('203.0.113.1, 10.1.2.3') })).toBe(429);
  });

  it('unset (the default), every client behind the proxy shares its lockout', async () => {
    const { port, key } = await start({});
    await lockOut(port, key, '203.0.113.1');
    const other = { authorization: `Bearer ${key}`, ...forwarded('203.0.113.2') };
    expect(await get(port, proxy, '/v1/customers/cus_none', other)).toBe(429);
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    const { port, key } = await start({ CUSTGATE_TRUSTED_PROXIES: proxy });
    // An outsider naming a victim's address, then a new address each time, is limited by its own.
    for (let i = 0; i < limit; i++) {
      const spoofed = forwarded(i === 0 ? '203.0.113.2' : `192.0.2.${i}`);
      expect(await get(port, outsider, '/v1/customers/cus_none', { ...bad, ...spoofed })).toBe(401);
    }
    expect(await get(port, outsider, '/v1/customers/cus_none', { ...bad, ...forwarded('192.0.2.99') })).toBe(429);
    // The victim it named, behind the real proxy, is served.
    const victim = { authorization: `Bearer ${key}`, ...forwarded('203.0.113.2') };
    expect(await get(port, proxy, '/v1/customers/cus_none', victim)).toBe(404);
  });

  it('counts a forwarded value that is no address against the proxy that sent it', async () => {
    const { port, key } = await start({ CUSTGATE_TRUSTED_PROXIES: proxy });
    for (let i = 0; i < limit; i++) {
      expect(await get(port, proxy, '/v1/customers/cus_none', { ...bad, ...forwarded(`not-an-address-${i}`) })).toBe(401);
    }
    expect(await get(port, proxy, '/v1/customers/cus_none', { ...bad, ...forwarded('not-an-address-x') })).toBe(429);
    // The proxy's own address is what was locked, not a client behind it.
    expect(await get(port, proxy, '/v1/customers/cus_none', { authorization: `Bearer ${key}`, ...forwarded('203.0.113.5') })).toBe(404);
  });

  // The in-flight limit counts the same address: a client behind the proxy holding its one request
  // open (a body that never finishes) is refused a second, and the other client is not.
  it('holds each client behind a trusted proxy to its own in-flight share', async () => {
    const crowded = async (trusted: Record<string, string>) => {
      const { port, key } = await start({ CUSTGATE_MAX_IN_FLIGHT_PER_ADDRESS: '1', ...trusted });
      const socket = connect({ port, host: '127.0.0.1', localAddress: proxy }, () => {
        socket.write(
          `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-Forwarded-For: 203.0.113.1\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"na',
        );
      });
      socket.on('error', () => undefined);
      held.push(socket);
      const headers = { authorization: `Bearer ${key}` };
      // Its held request is in flight once its next one is refused (asked until it is, at most 200 times).
      let first = 0;
      for (let i = 0; i < 200 && first !== 429; i++)
        first = await get(port, proxy, '/v1/customers/cus_none', { ...headers, ...forwarded('203.0.113.1') });
      expect(first).toBe(429);
      return get(port, proxy, '/v1/customers/cus_none', { ...headers, ...forwarded('203.0.113.2') });
    };
    expect(await crowded({ CUSTGATE_TRUSTED_PROXIES: proxy })).toBe(404);
    expect(await crowded({})).toBe(429);
  });

  it('refuses to start with a proxy setting that names no address', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    for (const value of ['10.0.0.0/33', '10.0.0.1, proxy.internal', 'loopbak']) {
      await expect(startNode({ ...env, CUSTGATE_TRUSTED_PROXIES: value }, { port: 0 })).rejects.toThrow(ConfigError);
    }
    await expect(startNode({ ...env, CUSTGATE_TRUSTED_PROXIES: '10.0.0.0/33' }, { port: 0 })).rejects.toThrow(
      /^CUSTGATE_TRUSTED_PROXIES: "10\.0\.0\.0\/33" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal/,
    );
  });
});
