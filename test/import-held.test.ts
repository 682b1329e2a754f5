import { beforeAll, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { processHolder } from '../src/upstream/process-holder.ts';
import { jsonInit } from './support/gateway.ts';
import { startGatewayProcess } from './support/processes.ts';
import { createApp, type GatewayApp } from './support/registered.ts';
import { fillBook, importingTenant, providerRig, switchableProxy } from './support/upstream.ts';

// GET …/import of an import whose gateway process was killed (-9) mid-page. It is not finished, so
// it stays `running` (on Workers a job between two cron runs is held by no one either, and is not
// stopped); what the view adds is whether anyone holds it: `held` and `held_until`, the holder's
// claim, renewed with each page. Another host cannot tell the holder is gone until the claim lapses
// (held until then, then not); a gateway on the same host can at once. A start then resumes it.

const BOOK = 30;

const rig = providerRig();

beforeAll(async () => {
  await fillBook(rig.provider, BOOK, (i) => ({ name: `Held ${i}` }));
}, 120_000);

interface JobView {
  state: string;
  seen: number;
  imported: number;
  held: boolean;
  held_until: string | null;
}

const appWith = (deps: Partial<Parameters<typeof createApp>[0]> = {}): GatewayApp =>
  createApp({ store: rig.store, config: loadConfig(rig.env), logger: { error: () => undefined }, ...deps });

async function view(app: GatewayApp, path: string, auth: Record<string, string>): Promise<JobView> {
  const res = await app.request(path, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as JobView;
}

it('an import whose process was killed stays running, held until its claim lapses (or at once on its host), and resumes', async () => {
  const { provider, store, env } = rig;
  // The first list request (the killed gateway's) is held for good; later ones go through.
  let listed = () => {};
  const reading = new Promise<void>((resolve) => {
    listed = resolve;
  });
  let first = true;
  const proxy = await switchableProxy(provider.baseUrl('wooshpay'), {
    before: (url) => {
      if (!url.startsWith('/v1/customers?') || !first) return Promise.resolve();
      first = false;
      listed();
      return new Promise<void>(() => undefined);
    },
  });
  onTestFinished(() => proxy.close());
  const { tenantId, auth, path } = await importingTenant(store, env, provider, 'import-held', proxy.url);

  const gateway = await startGatewayProcess(env);
  try {
    const started = await fetch(`${gateway.base}${path}`, jsonInit('POST', {}, auth));
    expect(started.status).toBe(202);
    await reading;
    const own = (await (await fetch(`${gateway.base}${path}`, { headers: auth })).json()) as JobView;
    expect(own).toMatchObject({ state: 'running', held: true });
    const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
    gateway.child.kill('SIGKILL');
    await exited;
  } finally {
    await gateway.stop();
  }

  // Another host (a random holder, as a Worker isolate is): it cannot tell, and says until when.
  const elsewhere = await view(appWith(), path, auth);
  expect(elsewhere).toMatchObject({ state: 'running', seen: 0, held: true });
  expect(Date.parse(elsewhere.held_until!)).toBeGreaterThan(Date.now());
  const refused = await appWith().request(path, jsonInit('POST', {}, auth));
  expect(refused.status).toBe(409);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(`claim lasts until ${elsewhere.held_until}`);

  // The same, once the claim has lapsed (its clock 6 minutes on): no one holds it.
  const later = await view(appWith({ now: () => new Date(Date.now() + 6 * 60_000) }), path, auth);
  expect(later).toMatchObject({ state: 'running', held: false, held_until: elsewhere.held_until });

  // A gateway on the killed one's host can tell its process is gone: not held, and a start resumes it.
  const here = appWith({ importHolder: processHolder() });
  expect(await view(here, path, auth)).toMatchObject({ state: 'running', held: false });
  expect((await here.request(path, jsonInit('POST', {}, auth))).status).toBe(202);
  let done = await view(here, path, auth);
  for (let i = 0; i < 1200 && done.state === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    done = await view(here, path, auth);
  }
  expect(done).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK, held: false, held_until: null });
  expect(await store.countCustomers(tenantId)).toBe(BOOK);
}, 120_000);
