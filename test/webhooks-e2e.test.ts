import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGatewayProcess } from './support/processes.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant } from './support/registered.ts';
import { testDatabaseEnv, testBackend } from './support/store.ts';
import { testEnv } from './support/gateway.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// End to end: a real `custgate serve`, endpoints made with `custgate webhook add`, updates over
// HTTP, and a real receiver. Then kill -9 while deliveries are in flight: after a restart every
// acknowledged write's event arrives, in order per customer, the repeats carrying the same id.
// CUSTGATE_WEBHOOK_KILL_WRITES sets how many writes are made around the kill (default 12).

const writes = Number(process.env.CUSTGATE_WEBHOOK_KILL_WRITES ?? 12);

describe(`webhooks end to end (${testBackend()})`, () => {
  const env = {
    ...testEnv,
    ...testDatabaseEnv(),
    CUSTGATE_WEBHOOK_TIMEOUT_MS: '1000',
    CUSTGATE_WEBHOOK_BASE_DELAY_MS: '50',
    CUSTGATE_OUTBOX_POLL_MS: '100',
  };
  let gateway: GatewayProcess | undefined;
  let receiver: Receiver;
  let auth: Record<string, string>;

  beforeAll(async () => {
    receiver = await startReceiver();
    const store = await openStore(env);
    try {
      const tenant = await createTenant(store, loadConfig(env), 'hooks');
      auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/json' };
    } finally {
      await store.executor.close();
    }
    gateway = await startGatewayProcess(env);
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
  });

  async function waitFor(check: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const write = async (path: string, name: string) => {
    const res = await fetch(`${gateway!.base}${path}`, { method: 'POST', headers: auth, body: JSON.stringify({ name }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };

  it('custgate webhook add prints the secret; kill -9 during delivery loses no event, the repeats de-duplicate by id', async () => {
    const added = JSON.parse(await runCli(['webhook', 'add', 'hooks', '--url', receiver.url, '--format', 'standard', '--json'], env)) as {
      id: string;
      secret: string;
    };
    expect(added.secret).toMatch(/^whsec_/);
    const customer = await write('/v1/customers', 'v1');
    await waitFor(() => receiver.received.length >= 1, 10_000);
    expect(receiver.received).toHaveLength(1);

    // A slow receiver keeps deliveries in flight when the process dies.
    receiver.delayMs = 150;
    for (let i = 2; i <= writes; i++) await write(`/v1/customers/${customer}`, `v${i}`);
    await waitFor(() => receiver.received.length >= 3, 10_000);
    gateway!.child.kill('SIGKILL');
    await new Promise((resolve) => gateway!.child.once('exit', resolve));
    receiver.delayMs = 0;
    gateway = await startGatewayProcess(env);

    const unique = () => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size;
    await waitFor(() => unique() >= writes, 30_000);
    const events = receiver.received.map((r) => ({
      id: r.headers['webhook-id'],
      payload: new Webhook(added.secret).verify(r.body, r.headers) as { type: string; data: { name: string } },
    }));
    const firstSeen: string[] = [];
    for (const e of events) if (!firstSeen.includes(e.payload.data.name)) firstSeen.push(e.payload.data.name);
    expect(firstSeen).toEqual(Array.from({ length: writes }, (_, i) => `v${i + 1}`));
    // Each id always carries the same version of the customer.
    for (const e of events) expect(events.find((x) => x.id === e.id)?.payload.data.name).toBe(e.payload.data.name);

    const attempts = JSON.parse(await runCli(['webhook', 'attempts', 'hooks', added.id, '--json'], env)) as { status: number | null }[];
    expect(attempts.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(writes);

    // --live makes a live-mode endpoint (live customers' events only); list shows each one's mode.
    const live = JSON.parse(await runCli(['webhook', 'add', 'hooks', '--url', `${receiver.url}/live`, '--live', '--json'], env)) as {
      id: string;
      mode: string;
    };
    expect(live.mode).toBe('live');
    const listed = JSON.parse(await runCli(['webhook', 'list', 'hooks', '--json'], env)) as { id: string; mode: string }[];
    expect(listed.map((e) => [e.id, e.mode]).sort()).toEqual(
      [
        [added.id, 'test'],
        [live.id, 'live'],
      ].sort(),
    );
  }, 150_000);
});
