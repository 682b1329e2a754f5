import { expect, it } from 'vitest';
import type { ImportRow } from '../src/store/index.ts';
import { checkpointFrom } from '../src/upstream/import.ts';
import { killGateway, startGatewayProcess } from './support/processes.ts';
import { fillBook, importingTenant, providerRig } from './support/upstream.ts';

// A Node gateway's resume sweep (at start, then every minute) carries on each import started over
// HTTP that nobody holds. It read only the 100 oldest running ones: past 100 held by live gateways
// elsewhere (a long Retry-After, a slow --rate), the next was never reached, however long it waited.
// And it carried them on one after the other, each to its end before the next: an import behind a
// slow one waited for all of it. Now the sweep walks every running import page by page, and starts
// each it claims beside the others, as they ran in the gateway that left them.

const BOOK = 5;
const HELD = 100;

const rig = providerRig();

it('the sweep reaches an import past 100 held ones, and runs it beside a slow one', async () => {
  const { provider, store, env } = rig;
  await fillBook(provider, BOOK, (i) => ({ name: `Swept ${i}` }));
  const slow = await importingTenant(store, env, provider, 'sweep-slow', provider.baseUrl('wooshpay'));
  const last = await importingTenant(store, env, provider, 'sweep-last', provider.baseUrl('wooshpay'));

  /** An import started over HTTP as a killed gateway leaves it: running, its claim lapsed. */
  const orphan = async (tenantId: string, upstreamId: string, updatedAt: string, rate: number | null) => {
    const row = (await store.upstreams.find(tenantId, upstreamId))!;
    const checkpoint: ImportRow = {
      ...checkpointFrom(undefined, row, false, new Date(updatedAt), 'report', { rate, origin: 'http' }),
      lease_owner: 'isolate:killed',
      lease_until: '2026-01-01T00:00:00.000Z',
    };
    expect(await store.imports.claim(checkpoint, undefined, updatedAt)).toBe(true);
    return checkpoint;
  };
  // The oldest: one customer every 50 s, so it runs for minutes once resumed.
  const oldest = await orphan(slow.tenantId, slow.upstreamId, '2025-01-01T00:00:00.000Z', 0.02);
  // Then 100 imports held by a live gateway on another host (its holder cannot be told gone).
  for (let i = 0; i < HELD; i++) {
    const at = new Date(Date.UTC(2025, 1, 1, 0, i)).toISOString();
    const held = {
      ...oldest,
      upstream_id: `held-${i}`,
      updated_at: at,
      lease_owner: 'isolate:elsewhere',
      lease_until: '2999-01-01T00:00:00.000Z',
    };
    expect(await store.imports.claim(held, undefined, at)).toBe(true);
  }
  // The newest, nobody holding it, past all of them.
  await orphan(last.tenantId, last.upstreamId, '2025-06-01T00:00:00.000Z', null);

  const gateway = await startGatewayProcess(env);
  try {
    const view = async (path: string, auth: Record<string, string>) => {
      const res = await fetch(`${gateway.base}${path}`, { headers: auth });
      expect(res.status).toBe(200);
      return (await res.json()) as { state: string; seen: number; imported: number; held: boolean };
    };
    let job = await view(last.path, last.auth);
    for (let i = 0; i < 1200 && job.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = await view(last.path, last.auth);
    }
    expect(job).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK });
    expect(await store.countCustomers(last.tenantId)).toBe(BOOK);
    // The slow one, resumed first, is still running here (held): the last did not wait for it.
    expect(await view(slow.path, slow.auth)).toMatchObject({ state: 'running', held: true });
    // The held ones were left to their holder.
    expect(await store.imports.find(slow.tenantId, 'held-0')).toMatchObject({ lease_owner: 'isolate:elsewhere', pages: 0 });
    expect(await store.imports.find(slow.tenantId, `held-${HELD - 1}`)).toMatchObject({ lease_owner: 'isolate:elsewhere', pages: 0 });
  } finally {
    // Killed: a clean stop would wait out the slow import's 50 s between two customers.
    await killGateway(gateway);
    await gateway.stop();
  }
}, 180_000);
