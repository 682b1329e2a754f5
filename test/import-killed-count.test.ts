import { beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { spawnCli } from './support/processes.ts';
import { createApp } from './support/registered.ts';
import { fillBook, importingTenant, providerRig } from './support/upstream.ts';

// `imported` of an import whose CLI process was killed (-9) part-way through a page. What that
// run stored is linked by then, so the resumed run skips it; the checkpoint counts only the pages
// it finished, and the resumed import said those customers were "linked already" though this
// import had created every one. Each create now marks its link as the import's, and `imported`
// counts those: the whole book, in the CLI's --json and in GET …/import.

const BOOK = 30;

const rig = providerRig();

beforeAll(async () => {
  await fillBook(rig.provider, BOOK, (i) => ({ name: `Counted ${i}` }));
}, 120_000);

it('counts what a run killed mid-page stored as imported when it resumes, not as linked already', async () => {
  const { provider, store, env } = rig;
  const { tenantId, upstreamId, auth, path } = await importingTenant(store, env, provider, 'killed-count', provider.baseUrl('wooshpay'));
  // 10 a second: the first 10 of the page are stored, then it waits about a second for the next 10.
  const run = spawnCli(['upstream', 'import', tenantId, upstreamId, '--json', '--rate', '10'], env);
  while ((await store.countCustomers(tenantId)) < 10) {
    expect(run.child.exitCode, 'the import ended before it could be killed').toBeNull();
    await new Promise((r) => setTimeout(r, 10));
  }
  run.child.kill('SIGKILL');
  expect((await run.exit).code).toBeNull();
  const stored = await store.countCustomers(tenantId);
  expect(stored).toBeLessThan(BOOK);
  expect(await store.imports.find(tenantId, upstreamId)).toMatchObject({ state: 'running', pages: 0, imported: 0 });

  const last = await spawnCli(['upstream', 'import', tenantId, upstreamId, '--json'], env).exit;
  expect(last.code, last.stderr).toBe(0);
  expect(JSON.parse(last.stdout)).toMatchObject({ state: 'done', pages: 1, seen: BOOK, imported: BOOK, linked: 0 });
  const app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
  const res = await app.request(path, { headers: auth });
  expect(await res.json()).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK, linked: 0 });
  expect(await store.countCustomers(tenantId)).toBe(BOOK);
}, 120_000);
