import { spawn } from 'node:child_process';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant } from './support/registered.ts';
import { forwardUrl } from '../src/cli/listen-lines.ts';
import { WebhookStore } from '../src/webhooks/store.ts';
import { testEnv } from './support/gateway.ts';
import { cli, failingCli, runCli } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// `custgate listen` and `custgate trigger` as a developer runs them, in real processes. Once, on
// SQLite: the delivery path under them is the one the other webhook tests run on both backends.

describe.skipIf(testBackend() !== 'sqlite')('custgate listen and trigger', () => {
  const env = { ...testEnv, ...testDatabaseEnv() };
  let receiver: Receiver | undefined;
  afterAll(async () => receiver?.close());
  /** The tenant's webhook endpoints, as the database holds them. */
  const endpointsOf = async (tenantId: string) => {
    const store = await openStore(env);
    try {
      return await new WebhookStore(store.executor).endpoints(tenantId);
    } finally {
      await store.executor.close();
    }
  };

  it('listen prints a secret and forwards, signed, the events a trigger makes; it removes its endpoint on ^C', async () => {
    receiver = await startReceiver();
    const store = await openStore(env);
    const tenant = await createTenant(store, loadConfig(env), 'dev');
    await store.executor.close();

    // Without a scheme, as `stripe listen --forward-to localhost:4242/webhook` takes it: http. Refused before.
    const hostAndPath = receiver.url.replace(/^http:\/\//, '');
    const listen = spawn(process.execPath, [cli, 'listen', '--tenant', 'dev', '--forward-to', hostAndPath], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    listen.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const waitFor = async (check: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await waitFor(() => /whsec_\S+/.test(out), 60_000);
      const secret = /(whsec_\S+)/.exec(out)?.[1] ?? '';
      expect(secret).not.toBe('');
      expect(out).toContain(`Ready! Forwarding to ${receiver.url}.`);

      expect(await runCli(['trigger', 'customer.updated', '--tenant', 'dev'], env)).toMatch(/^Triggered customer\.updated on cus_/);
      await waitFor(() => receiver!.received.length >= 2, 20_000);
      const stripe = new Stripe('sk_test_unused');
      const events = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature']!, secret));
      expect(events.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
      await waitFor(() => (out.match(/\[200\]/g) ?? []).length >= 2, 10_000);
      // As the Stripe CLI prints a forward: the event's type and id, then the receiver's status,
      // the method and URL, and the id again. Before: `<ISO time>  --> evt_…  [200]`, no type.
      const time = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`;
      const url = receiver.url.replaceAll('.', '\\.');
      for (const event of events) {
        expect(out).toMatch(new RegExp(`^${time}   --> ${event.type.replace('.', '\\.')} \\[${event.id}\\]$`, 'm'));
        expect(out).toMatch(new RegExp(`^${time}  <--  \\[200\\] POST ${url} \\[${event.id}\\]$`, 'm'));
      }
    } finally {
      const exited = new Promise((resolve) => listen.once('exit', resolve));
      listen.kill('SIGINT');
      await exited;
    }
    expect(await endpointsOf(tenant.tenant.id)).toEqual([]);
  }, 150_000);

  it('removes its endpoint when its terminal closes (SIGHUP), as on ^C', async () => {
    const store = await openStore(env);
    const tenant = await createTenant(store, loadConfig(env), 'hangup');
    await store.executor.close();
    const listen = spawn(process.execPath, [cli, 'listen', '--tenant', 'hangup', '--forward-to', 'http://127.0.0.1:9/hooks'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    listen.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => listen.once('exit', (code) => resolve(code)));
    await expect.poll(() => out, { timeout: 60_000, interval: 50 }).toMatch(/whsec_\S+/);
    const endpoints = () => endpointsOf(tenant.tenant.id);
    expect(await endpoints()).toHaveLength(1);
    listen.kill('SIGHUP');
    // Before: SIGHUP's default ended the process, code null, and the endpoint stayed.
    expect(await exited).toBe(0);
    expect(await endpoints()).toEqual([]);
  }, 90_000);

  it('--forward-to refuses another scheme and what is no URL, naming it, and makes no endpoint', async () => {
    const store = await openStore(env);
    const tenant = await createTenant(store, loadConfig(env), 'refusing');
    await store.executor.close();
    const cases: [string, string][] = [
      ['ftp://localhost:4242/webhook', 'ftp: is not http or https'],
      ['mailto:dev@example.com', 'mailto: is not http or https'],
      ['http:/localhost/webhook', 'http: needs // after it'],
      ['localhost:99999/webhook', 'not a URL'],
    ];
    for (const [given, why] of cases) {
      const run = await failingCli(['listen', '--tenant', 'refusing', '--forward-to', given], env);
      expect(run?.code, given).toBe(1);
      expect(run?.stderr, given).toContain(`argument '${given}' is invalid. ${why}; give an http:// or https:// URL`);
    }
    expect(await endpointsOf(tenant.tenant.id)).toEqual([]);
  }, 90_000);

  it('trigger customer.deleted sends a customer.deleted, after its customer.created', async () => {
    receiver ??= await startReceiver();
    const store = await openStore(env);
    await createTenant(store, loadConfig(env), 'deleting');
    await store.executor.close();
    receiver.received.length = 0;
    const added = JSON.parse(await runCli(['webhook', 'add', 'deleting', '--url', receiver.url, '--json'], env)) as { secret: string };

    const said = await runCli(['trigger', 'customer.deleted', '--tenant', 'deleting'], env);
    expect(said).toMatch(/^Triggered customer\.deleted on cus_\S+ \(version 2\)/);
    // trigger sends what it made itself, before it exits.
    const stripe = new Stripe('sk_test_unused');
    const events = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature']!, added.secret));
    expect(events.map((e) => e.type)).toEqual(['customer.created', 'customer.deleted']);
    expect(events[1]!.data.object).toMatchObject({ id: (events[0]!.data.object as { id: string }).id, name: 'custgate trigger' });
  }, 60_000);
});

describe('listen --forward-to, as stripe listen takes it', () => {
  it('completes a host, a port or a path alone to an http URL, and leaves an http(s) URL as given', () => {
    expect(forwardUrl('localhost:4242/webhook')).toBe('http://localhost:4242/webhook');
    expect(forwardUrl('127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(forwardUrl('[::1]:4242/hooks')).toBe('http://[::1]:4242/hooks');
    expect(forwardUrl('4242')).toBe('http://localhost:4242');
    expect(forwardUrl('/hooks')).toBe('http://localhost/hooks');
    expect(forwardUrl('https://example.test/hooks')).toBe('https://example.test/hooks');
    expect(() => forwardUrl('https://user:pw@example.test/hooks')).toThrow('credentials in a URL are not sent');
  });
});
