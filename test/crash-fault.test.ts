import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant } from './support/registered.ts';
import { testEnv } from './support/gateway.ts';
import { type GatewayProcess, startGatewayProcess } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// The crash test (issue #13): a real gateway process under concurrent writes is killed with
// SIGKILL at a random moment, restarted, killed again…; afterwards every acknowledged write is
// there, as the last value of its key and as an event in the change history. On whichever backend
// the project runs (SQLite and PostgreSQL). CUSTGATE_FAULT_CYCLES sets the number of kills
// (default 5); CUSTGATE_FAULT_WRITERS the concurrent writers (default 6); CUSTGATE_SQLITE_CHECKPOINT
// is passed to the gateway (`thread`: kills land during checkpoints on their own thread too).

const cycles = Number(process.env.CUSTGATE_FAULT_CYCLES ?? 5);
const writers = Number(process.env.CUSTGATE_FAULT_WRITERS ?? 6);
const customers = 3;

interface Ack {
  readonly customer: string;
  readonly key: string;
  readonly seq: number;
}

describe(`kill -9 under write load (${testBackend()}, ${cycles} cycles)`, () => {
  const checkpoint = process.env.CUSTGATE_SQLITE_CHECKPOINT;
  const env = { ...testEnv, ...testDatabaseEnv(), ...(checkpoint ? { CUSTGATE_SQLITE_CHECKPOINT: checkpoint } : {}) };
  let auth: Record<string, string>;
  const ids: string[] = [];
  let current: GatewayProcess | undefined;

  beforeAll(async () => {
    const store = await openStore(env);
    try {
      const tenant = await createTenant(store, loadConfig(env), 'crash');
      auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/json' };
    } finally {
      await store.executor.close();
    }
  }, 60_000);

  afterAll(async () => {
    await current?.stop();
  });

  it('keeps every acknowledged write, value and history, across SIGKILLs', async () => {
    const acked: Ack[] = [];
    // Per customer and key, the last sequence number sent (acknowledged or not).
    const attempted = new Map<string, number>();
    let seq = 0;
    let failed = 0;

    current = await startGatewayProcess(env);
    for (let c = 0; c < customers; c++) {
      const res = await fetch(`${current.base}/v1/customers`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: `Crash ${c}` }),
      });
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { id: string }).id);
    }

    for (let cycle = 0; cycle < cycles; cycle++) {
      const gateway: GatewayProcess = cycle === 0 ? current : await startGatewayProcess(env);
      current = gateway;
      let killed = false;
      const writer = async (w: number) => {
        while (!killed) {
          const customer = ids[(w + seq) % customers]!;
          const key = `w${w}`;
          const mine = ++seq;
          attempted.set(`${customer} ${key}`, mine);
          try {
            const res = await fetch(`${gateway.base}/v1/customers/${customer}`, {
              method: 'POST',
              headers: auth,
              body: JSON.stringify({ metadata: { [key]: String(mine) } }),
            });
            await res.arrayBuffer();
            if (res.status === 200) acked.push({ customer, key, seq: mine });
            else failed++;
          } catch {
            // Connection reset by the kill: not acknowledged, so nothing is owed.
            failed++;
            return;
          }
        }
      };
      const load = Array.from({ length: writers }, (_, w) => writer(w));
      const before = acked.length;
      // At a random moment, once some writes of this cycle have been acknowledged.
      while (acked.length - before < 5) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 500)));
      const exited = new Promise((r) => gateway.child.once('exit', r));
      gateway.child.kill('SIGKILL');
      killed = true;
      await exited;
      await Promise.all(load);
    }

    current = await startGatewayProcess(env);
    let events = 0;
    for (const customer of ids) {
      const res = await fetch(`${current.base}/gateway/v1/customers/${customer}`, { headers: auth });
      const stored = (await res.json()) as { metadata: Record<string, string>; version: number };
      const history = (await (await fetch(`${current.base}/gateway/v1/customers/${customer}/events`, { headers: auth })).json()) as {
        data: { version: number; changes: { field: string; after: Record<string, string> }[] }[];
      };
      events += history.data.length;
      expect(history.data.map((e) => e.version)).toEqual(Array.from({ length: stored.version }, (_, i) => i + 1));
      const written = new Set(
        history.data.flatMap((e) =>
          e.changes.filter((c) => c.field === 'metadata').flatMap((c) => Object.entries(c.after).map(([k, v]) => `${k}=${v}`)),
        ),
      );
      for (const ack of acked.filter((a) => a.customer === customer)) {
        expect(written.has(`${ack.key}=${ack.seq}`), `history of ${customer} has ${ack.key}=${ack.seq}`).toBe(true);
      }
      // The last value of each key is its last acknowledged write, or a later one in flight at a kill.
      for (const key of new Set(acked.filter((a) => a.customer === customer).map((a) => a.key))) {
        const last = Math.max(...acked.filter((a) => a.customer === customer && a.key === key).map((a) => a.seq));
        const value = Number(stored.metadata[key]);
        expect(value, `${customer} ${key}`).toBeGreaterThanOrEqual(last);
        expect(value, `${customer} ${key}`).toBeLessThanOrEqual(attempted.get(`${customer} ${key}`)!);
      }
    }
    console.log(
      `crash test (${testBackend()}): ${cycles} kills, ${acked.length} acknowledged writes all kept, ${failed} unacknowledged, ${events} history rows checked`,
    );
    expect(acked.length).toBeGreaterThanOrEqual(cycles * 5);
  }, 300_000);
});
