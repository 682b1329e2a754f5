import { expect, it } from 'vitest';
import type { ImportRow } from '../src/store/index.ts';
import { checkpointFrom } from '../src/upstream/import.ts';
import { probeAuth } from './support/gateway.ts';
import { killGateway, startGatewayProcess } from './support/processes.ts';
import { fillBook, importingTenant, providerRig, switchableProxy } from './support/upstream.ts';

// A Node gateway restarted with many interrupted imports started every one of them at once: as many
// walks of the providers' lists as imports (a burst on their rate limits and on this process). Now
// the sweep runs at most CUSTGATE_IMPORT_RESUMES of them; the rest wait, oldest first, each started
// as one ends. The provider's list answers are held open here, so the walks in flight are counted
// while none can end.

const IMPORTS = 6;
const CAP = 2;
const BOOK = 2;

const rig = providerRig();

it(`a restarted gateway resumes at most ${CAP} imports at once, and every one of ${IMPORTS} to its end`, async () => {
  const { provider, store, env } = rig;
  await fillBook(provider, BOOK, (i) => ({ name: `Capped ${i}` }));
  /** The list requests held open, each let through by calling it. */
  const held: (() => void)[] = [];
  let open = false;
  const proxy = await switchableProxy(provider.baseUrl('wooshpay'), {
    before: (url) => (open || !/^\/v1\/customers(\?|$)/.test(url) ? Promise.resolve() : new Promise<void>((resolve) => held.push(resolve))),
  });
  const tenants = [];
  for (let i = 0; i < IMPORTS; i++) {
    const tenant = await importingTenant(store, env, provider, `capped-${i}`, proxy.url);
    const row = (await store.upstreams.find(tenant.tenantId, tenant.upstreamId))!;
    const at = new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
    // Started over HTTP, its gateway killed: running, its claim lapsed.
    const checkpoint: ImportRow = {
      ...checkpointFrom(undefined, row, false, new Date(at), 'report', { rate: null, origin: 'http' }),
      lease_owner: 'isolate:killed',
      lease_until: '2026-01-01T00:00:00.000Z',
    };
    expect(await store.imports.claim(checkpoint, undefined, at)).toBe(true);
    tenants.push(tenant);
  }

  const gateway = await startGatewayProcess({ ...env, CUSTGATE_IMPORT_RESUMES: String(CAP) });
  try {
    const gauges = async () => {
      const text = await (await fetch(`${gateway.base}/metrics`, { headers: probeAuth })).text();
      const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      return { running: read('custgate_import_resumes_running'), waiting: read('custgate_import_resumes_waiting') };
    };
    // Until more walks are in flight than the cap (the defect), or the cap's walks are and the
    // sweep waits for one of them to end with an import left to resume.
    let now = await gauges();
    for (let i = 0; i < 1200 && held.length <= CAP && !(held.length === CAP && now.running === CAP && now.waiting === 1); i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await gauges();
    }
    expect(held.length).toBe(CAP);
    expect(now).toEqual({ running: CAP, waiting: 1 });
    const views = await Promise.all(
      tenants.map(
        async (t) => (await (await fetch(`${gateway.base}${t.path}`, { headers: t.auth })).json()) as { held: boolean; state: string },
      ),
    );
    expect(views.filter((v) => v.held)).toHaveLength(CAP);
    expect(views.every((v) => v.state === 'running')).toBe(true);

    // Let every walk through: the waiting ones are started as slots free, and all end.
    open = true;
    for (const release of held.splice(0)) release();
    for (const t of tenants) {
      let view = { state: 'running', seen: 0, imported: 0 };
      for (let i = 0; i < 1200 && view.state === 'running'; i++) {
        view = (await (await fetch(`${gateway.base}${t.path}`, { headers: t.auth })).json()) as typeof view;
        if (view.state === 'running') await new Promise((r) => setTimeout(r, 50));
      }
      expect(view).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK });
      expect(await store.countCustomers(t.tenantId)).toBe(BOOK);
    }
    expect(await gauges()).toEqual({ running: 0, waiting: 0 });
  } finally {
    open = true;
    for (const release of held.splice(0)) release();
    await killGateway(gateway);
    await gateway.stop();
    await proxy.close();
  }
}, 180_000);
