import { beforeAll, expect, it } from 'vitest';
import type { Store } from '../src/store/index.ts';
import { jsonInit } from './support/gateway.ts';
import { killGateway, spawnCli, startGatewayProcess } from './support/processes.ts';
import { fillBook, importingTenant, providerRig } from './support/upstream.ts';

// An import started over HTTP (202) whose gateway was killed (-9) mid-import stayed `running,
// held: false` until someone POSTed it again. A Node gateway now resumes it when it starts (and
// every minute), at the rate it was started with, to the end: every customer stored once, without
// another POST. An import started by the CLI and killed is left alone (the user's ^C means stop).

const BOOK = 30;

const rig = providerRig();

beforeAll(async () => {
  await fillBook(rig.provider, BOOK, (i) => ({ name: `Resumed ${i}` }));
}, 120_000);

/** Waits (polling, bounded) until the tenant has at least `n` customers; the process must still be running. */
async function storedAtLeast(store: Store, tenantId: string, n: number, alive: () => boolean): Promise<void> {
  for (let i = 0; i < 6000 && (await store.countCustomers(tenantId)) < n; i++) {
    expect(alive(), 'the import ended before it could be killed').toBe(true);
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('a gateway started again after kill -9 finishes the import POSTed to it, at its rate; one the CLI started is left', async () => {
  const { provider, store, env } = rig;
  const cli = await importingTenant(store, env, provider, 'resume-cli', provider.baseUrl('wooshpay'));
  const http = await importingTenant(store, env, provider, 'resume-http', provider.baseUrl('wooshpay'));

  // The CLI's import, 10 a second, killed once its first 10 are stored.
  const run = spawnCli(['upstream', 'import', cli.tenantId, cli.upstreamId, '--json', '--rate', '10'], env);
  await storedAtLeast(store, cli.tenantId, 10, () => run.child.exitCode === null);
  run.child.kill('SIGKILL');
  expect((await run.exit).code).toBeNull();
  const cliStored = await store.countCustomers(cli.tenantId);
  expect(cliStored).toBeLessThan(BOOK);
  const cliKilled = await store.imports.find(cli.tenantId, cli.upstreamId);
  expect(cliKilled).toMatchObject({ state: 'running', origin: 'cli', rate: 10 });

  // The HTTP one, 10 a second, its gateway killed the same way.
  const first = await startGatewayProcess(env);
  try {
    const started = await fetch(`${first.base}${http.path}`, jsonInit('POST', { rate: 10 }, http.auth));
    expect(started.status).toBe(202);
    await storedAtLeast(store, http.tenantId, 10, () => first.child.exitCode === null);
    await killGateway(first);
  } finally {
    await first.stop();
  }
  expect(await store.countCustomers(http.tenantId)).toBeLessThan(BOOK);
  expect(await store.imports.find(http.tenantId, http.upstreamId)).toMatchObject({ state: 'running', origin: 'http', rate: 10 });

  // Started again on the same database, and nothing else: it carries the HTTP import to the end.
  const second = await startGatewayProcess(env);
  try {
    let job = await store.imports.find(http.tenantId, http.upstreamId);
    for (let i = 0; i < 1200 && job?.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = await store.imports.find(http.tenantId, http.upstreamId);
    }
    // Still at the rate it was started with.
    expect(job).toMatchObject({ state: 'done', seen: BOOK, origin: 'http', rate: 10 });
    const view = await fetch(`${second.base}${http.path}`, { headers: http.auth });
    expect(await view.json()).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK, linked: 0, held: false });
    expect(await store.countCustomers(http.tenantId)).toBe(BOOK);
    expect(await store.upstreams.linkCount(http.tenantId, http.upstreamId)).toBe(BOOK);

    // The sweep that resumed it left the CLI's import as it was killed.
    expect(await store.imports.find(cli.tenantId, cli.upstreamId)).toEqual(cliKilled);
    expect(await store.countCustomers(cli.tenantId)).toBe(cliStored);
  } finally {
    await second.stop();
  }
}, 180_000);
