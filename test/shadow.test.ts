import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type CreatedTenant, createTenant, registeredDialects } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { Dispatcher } from '../src/outbox/dispatcher.ts';
import { shadowDiff } from '../src/core/shadow-diff.ts';
import type { ReplicaTarget } from '../src/outbox/types.ts';
import type { Store } from '../src/store/index.ts';
import { fieldDefaults } from '../schemas/index.ts';
import { FakeUpstream } from './support/fake-upstream.ts';
import { drainSettled } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// Shadow mode against an in-memory upstream: each delivery is followed by a read-back and a diff
// on the fields the upstream's dialect covers; drift made at the upstream is reported as exactly
// the field it changed; the gateway API and `custgate shadow report` / `outbox …` show it all.

describe('shadow comparison', () => {
  let store: Store;
  let env: Record<string, string>;
  let tenant: CreatedTenant;
  let upstream: FakeUpstream;
  let dispatcher: Dispatcher;
  let request: (path: string, init?: RequestInit) => Promise<Response>;
  const auth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` });

  beforeAll(async () => {
    env = { ...testDatabaseEnv(), ...testEnv };
    store = await openStore(env);
    const config = loadConfig(testEnv);
    upstream = new FakeUpstream();
    tenant = await createTenant(store, config, 'shadowed');
    const replicas = new Map<string, ReplicaTarget[]>([[tenant.tenant.id, [{ id: 'up_z', dialect: 'zenskar', mode: 'shadow' }]]]);
    const lookup = async (id: string) => replicas.get(id) ?? [];
    dispatcher = new Dispatcher({ store, port: upstream, replicas: lookup, dialects: registeredDialects });
    const app = createApp({
      store,
      config,
      logger: { error: () => undefined },
      replication: { replicas: lookup, dispatcher, drainAfterWrite: false },
    });
    request = async (path, init) => app.request(path, init);
  });

  afterAll(async () => {
    await store?.executor.close();
  });

  async function write(path: string, body: Record<string, unknown>) {
    const res = await request(path, jsonInit('POST', body, auth()));
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string };
  }

  async function report() {
    const res = await request('/gateway/v1/shadow', { headers: auth() });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      dialects: {
        dialect: string;
        checks: number;
        mismatched: number;
        rate: number;
        fields: { field: string; mismatches: number; samples: { local: unknown; upstream: unknown; local_version: number }[] }[];
      }[];
    };
  }

  it('finds no difference when the upstream holds what was sent', async () => {
    const { id } = await write('/wooshpay/v1/customers', {
      name: 'Grace',
      email: 'grace@example.com',
      address: { country: 'US', city: 'Arlington' },
    });
    await write(`/wooshpay/v1/customers/${id}`, { phone: '+15555550100' });
    const drained = await drainSettled(dispatcher, 2);
    expect(drained).toMatchObject({ delivered: 2, compared: 2, mismatched: 0 });
    expect((await report()).dialects).toEqual([{ dialect: 'zenskar', checks: 2, mismatched: 0, rate: 0, fields: [] }]);
  });

  it('reports exactly the field someone changed at the upstream, on the next comparison', async () => {
    const { id } = await write('/wooshpay/v1/customers', { name: 'Linus', email: 'linus@example.com' });
    await drainSettled(dispatcher, 1);
    const uuid = [...upstream.copies.keys()].at(-1)!;
    // Edited behind the gateway's back, at the provider.
    upstream.copies.set(uuid, { ...upstream.copies.get(uuid)!, email: 'linus@elsewhere.example' });
    await write(`/wooshpay/v1/customers/${id}`, { description: 'kernel' });
    expect(await drainSettled(dispatcher, 1)).toMatchObject({ delivered: 1, compared: 1, mismatched: 1 });
    const zenskar = (await report()).dialects[0]!;
    expect(zenskar.mismatched).toBe(1);
    expect(zenskar.fields).toEqual([
      {
        field: 'email',
        mismatches: 1,
        rate: 1 / zenskar.checks,
        samples: [expect.objectContaining({ local: 'linus@example.com', upstream: 'linus@elsewhere.example', local_version: 2 })],
      },
    ]);
  });

  it('prints the report and steers the outbox from the command line', async () => {
    const text = await runCli(['shadow', 'report', 'shadowed', '--json'], env);
    const printed = JSON.parse(text) as { dialects: { dialect: string; fields: { field: string }[] }[] };
    expect(printed.dialects[0]!.fields.map((f) => f.field)).toEqual(['email']);

    upstream.faults.push(() => ({ kind: 'rejected', error: 'HTTP 422' }));
    const { id } = await write('/wooshpay/v1/customers', { name: 'Refused' });
    await drainSettled(dispatcher, 1);
    const listed = JSON.parse(await runCli(['outbox', 'list', '--tenant', tenant.tenant.id, '--json'], env)) as {
      counts: { pending: number; dead: number };
      data: { id: string; state: string }[];
    };
    expect(listed.counts).toEqual({ pending: 0, dead: 1 });
    const dead = listed.data[0]!.id;
    expect(JSON.parse(await runCli(['outbox', 'retry', dead, '--json'], env))).toEqual({ retried: 1 });
    upstream.faults.push(() => ({ kind: 'rejected', error: 'HTTP 422' }));
    await drainSettled(dispatcher, 1);
    expect(JSON.parse(await runCli(['outbox', 'drop', dead, '--json'], env))).toEqual({ dropped: 1 });
    const after = await request(`/gateway/v1/customers/${id}/deliveries`, { headers: auth() });
    expect(((await after.json()) as { data: unknown[] }).data).toEqual([]);
  }, 180_000);
});

describe('shadowDiff', () => {
  it('ignores empty spellings and member order, not values', () => {
    const local = { ...fieldDefaults, name: 'A', metadata: { a: 1, b: 2 }, phone: null };
    expect(shadowDiff(local, { ...local, phone: '' as never, metadata: { b: 2, a: 1 } }, ['name', 'phone', 'metadata'])).toEqual([]);
    expect(shadowDiff(local, { ...local, name: 'B' }, ['name', 'phone'])).toEqual([{ field: 'name', local: 'A', upstream: 'B' }]);
    // A field the dialect does not read is not compared.
    expect(shadowDiff(local, { ...local, name: 'B' }, ['phone'])).toEqual([]);
  });
});
