import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { jsonInit } from './support/gateway.ts';
import { type LostAnswerForwarder, lostAnswerForwarder } from './support/lost-answer.ts';
import { addUpstreamByCli, type GatewayProcess, runCli, startGatewayProcess } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// A proxied first write of a customer from before the upstream was added holds the customer's
// create claim while its create is in flight (src/upstream/attempts.ts). Each gateway process
// renews a heartbeat row (src/upstream/instance-heartbeat.ts): when the claim's process is killed
// (-9), another process's write takes the claim over once the dead process's `dead_after` has
// passed — seconds, not the claim's own bound of 22 upstream time-outs (137 s here) — and recovers
// what the dead one sent under the same Idempotency-Key; a live but slow owner keeps its claim.
// Gateways A and B are processes on one database; the provider is a third custgate process,
// behind a forwarder that can hold a create in flight.

const timeoutMs = 6_000;
const heartbeatMs = 500;

let provider: Provider;
let forwarder: LostAnswerForwarder;
let env: Record<string, string>;
let tenant: { tenant: { id: string }; credentials: Record<string, IssuedCredentials> };
let b: GatewayProcess;
const started: GatewayProcess[] = [];
let customers: { killed: string; slow: string; listed: string };
let upstreamId: string;

const auth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` });

function write(gateway: GatewayProcess, id: string, body: Record<string, string>) {
  return fetch(`${gateway.base}/wooshpay/v1/customers/${id}`, jsonInit('POST', body, auth())).then(async (res) => ({
    status: res.status,
    text: await res.text(),
  }));
}

/** The provider's customers (a second custgate playing Wooshpay). */
async function atProvider(): Promise<{ name: string | null; email: string | null }[]> {
  const headers = { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` };
  const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers?limit=100`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { name: string | null; email: string | null }[] }).data;
}

async function gatewayA(): Promise<GatewayProcess> {
  const a = await startGatewayProcess(env);
  started.push(a);
  return a;
}

/** A's write of `id` is held at the forwarder, and A is killed (-9) while it is. */
async function killedMidCreate(id: string, name: string): Promise<void> {
  const a = await gatewayA();
  const arrived = forwarder.arrived();
  // Answered well within the time-out, after A is gone: the provider holds what A sent.
  forwarder.holdNextCreate(1_500);
  const lost = write(a, id, { name }).catch(() => undefined);
  await createArrives(arrived);
  const exited = new Promise((resolve) => a.child.once('exit', resolve));
  a.child.kill('SIGKILL');
  await exited;
  await lost;
}

/** Until the forwarder has the next create (sent by the gateway, held there). */
async function createArrives(before: number): Promise<void> {
  const until = Date.now() + 30_000;
  while (forwarder.arrived() === before && Date.now() < until) await sleep(20);
  expect(forwarder.arrived()).toBe(before + 1);
}

beforeAll(async () => {
  provider = await startProvider();
  forwarder = await lostAnswerForwarder(provider.base);
  env = {
    NODE_ENV: 'test',
    ...testDatabaseEnv(),
    CUSTGATE_UPSTREAM_TIMEOUT_MS: String(timeoutMs),
    CUSTGATE_HEARTBEAT_MS: String(heartbeatMs),
  };
  tenant = JSON.parse(await runCli(['tenant', 'create', 'claim-takeover', '--json'], env));
  b = await startGatewayProcess(env);
  started.push(b);
  // Made before the upstream is added: each one's first proxied write creates it there.
  const made = async (name: string) => {
    const res = await fetch(`${b.base}/wooshpay/v1/customers`, jsonInit('POST', { name }, auth()));
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  customers = { killed: await made('Killed owner'), slow: await made('Slow owner'), listed: await made('Listed owner') };
  ({ id: upstreamId } = await addUpstreamByCli(env, tenant.tenant.id, {
    dialect: 'wooshpay',
    baseUrl: `${forwarder.url}${new URL(provider.baseUrl('wooshpay')).pathname}`,
    mode: 'proxy',
    credentials: provider.credentials.wooshpay,
  }));
}, 180_000);

afterAll(async () => {
  for (const gateway of started) await gateway.stop();
  await forwarder?.close();
  await provider?.process.stop();
});

describe('the create claim of a gateway process', () => {
  it('killed (-9) mid-create: another process takes the claim over within seconds, and the provider holds one customer', async () => {
    const atB = (await atProvider()).length;
    await killedMidCreate(customers.killed, 'Killed owner A');
    // The claim's own bound is 41 × 6 s + 5 s = 251 s: well past this.
    const until = Date.now() + 60_000;
    let taken = await write(b, customers.killed, { name: 'Killed owner B' });
    while (taken.status === 409 && Date.now() < until) {
      await sleep(250);
      taken = await write(b, customers.killed, { name: 'Killed owner B' });
    }
    expect(taken.status, taken.text).toBe(200);
    const there = await atProvider();
    expect(there).toHaveLength(atB + 1);
    expect(there.filter((c) => c.name?.startsWith('Killed owner'))).toEqual([expect.objectContaining({ name: 'Killed owner B' })]);
  }, 120_000);

  it('alive but slow: its claim holds while the provider takes its time; the other write waits and follows it', async () => {
    const a = await gatewayA();
    const atB = (await atProvider()).length;
    const [arrived, sent] = [forwarder.arrived(), forwarder.creates()];
    forwarder.holdNextCreate(3_000);
    const first = write(a, customers.slow, { name: 'Slow owner A' });
    await createArrives(arrived);
    // Longer than the missed beats (3 × 500 ms) that mark a silent process dead.
    await sleep(2_000);
    const second = await write(b, customers.slow, { email: 'slow-b@example.com' });
    const answered = await first;
    expect([answered.status, second.status], `${answered.text} ${second.text}`).toEqual([200, 200]);
    // B sent no create of its own (a take-over would have replayed A's).
    expect(forwarder.creates() - sent).toBe(1);
    const there = await atProvider();
    expect(there).toHaveLength(atB + 1);
    expect(there.filter((c) => c.name === 'Slow owner A')).toEqual([expect.objectContaining({ email: 'slow-b@example.com' })]);
  }, 120_000);

  it("killed: the operator's listing shows its claim as not held within seconds, and it can be cleared", async () => {
    await killedMidCreate(customers.listed, 'Listed owner A');
    const path = `${b.base}/gateway/v1/upstreams/${upstreamId}/create-attempts`;
    const held = async () => {
      const res = await fetch(path, { headers: auth() });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: { customer_id: string; held_until: string | null; sent: { name?: string } }[] };
      const mine = data.filter((row) => row.sent.name === 'Listed owner A');
      expect(mine).toHaveLength(1);
      return mine[0] as { customer_id: string; held_until: string | null };
    };
    // Against the claim's own bound, 137 s away.
    const until = Date.now() + 60_000;
    let row = await held();
    while (row.held_until !== null && Date.now() < until) {
      await sleep(250);
      row = await held();
    }
    expect(row.held_until).toBeNull();
    const cleared = await fetch(`${path}/${row.customer_id}`, { method: 'DELETE', headers: auth() });
    expect(cleared.ok, await cleared.text()).toBe(true);
  }, 120_000);
});
