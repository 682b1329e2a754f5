import { spawn } from 'node:child_process';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant } from './support/registered.ts';
import { WebhookStore } from '../src/webhooks/store.ts';
import { testEnv } from './support/gateway.ts';
import { cli, runCli } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// `custgate listen` and `custgate trigger` as a developer runs them, in real processes. Once, on
// SQLite: the delivery path under them is the one the other webhook tests run on both backends.

describe.skipIf(testBackend() !== 'sqlite')('custgate listen and trigger', () => {
  const env = { ...testEnv, ...testDatabaseEnv() };
  let receiver: Receiver | undefined;
  afterAll(async () => receiver?.close());

  it('listen prints a secret and forwards, signed, the events a trigger makes; it removes its endpoint on ^C', async () => {
    receiver = await startReceiver();
    const store = await openStore(env);
    const tenant = await createTenant(store, loadConfig(env), 'dev');
    await store.executor.close();

    const listen = spawn(process.execPath, [cli, 'listen', '--tenant', 'dev', '--forward-to', receiver.url], {
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

      expect(await runCli(['trigger', 'customer.updated', '--tenant', 'dev'], env)).toMatch(/^Triggered customer\.updated on cus_/);
      await waitFor(() => receiver!.received.length >= 2, 20_000);
      const stripe = new Stripe('sk_test_unused');
      const events = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature']!, secret));
      expect(events.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
      await waitFor(() => (out.match(/\[200\]/g) ?? []).length >= 2, 10_000);
      expect(out).toContain(`--> ${events[1]!.id}  [200]`);
    } finally {
      const exited = new Promise((resolve) => listen.once('exit', resolve));
      listen.kill('SIGINT');
      await exited;
    }
    const after = await openStore(env);
    try {
      expect(await new WebhookStore(after.executor).endpoints(tenant.tenant.id)).toEqual([]);
    } finally {
      await after.executor.close();
    }
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
    const endpoints = async () => {
      const s = await openStore(env);
      try {
        return await new WebhookStore(s.executor).endpoints(tenant.tenant.id);
      } finally {
        await s.executor.close();
      }
    };
    expect(await endpoints()).toHaveLength(1);
    listen.kill('SIGHUP');
    // Before: SIGHUP's default ended the process, code null, and the endpoint stayed.
    expect(await exited).toBe(0);
    expect(await endpoints()).toEqual([]);
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
