import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { recordReconciliation } from '../src/upstream/cut-over.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';

// `custgate upstream mode|promote|demote --json` print the upstream as `upstream show --json` and
// the gateway API (PATCH /gateway/v1/upstreams/{id}, POST …/promote|demote) answer it: with its
// links count and its history. Before, they printed the bare row, so a script reading `.links` or
// the step just recorded (`.history[-1]`) after a cut-over got nothing.

let store: Store;
let env: Record<string, string>;
let app: GatewayApp;

beforeAll(async () => {
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
});
afterAll(async () => {
  await store?.executor.close();
});

type Detail = { id: string; mode: string; links: number; history: { event: string; mode: string }[]; forced?: boolean };

it('mode, promote and demote --json print the upstream with its links and history, as the gateway API answers it', async () => {
  const config = loadConfig(env);
  const tenant = await createTenant(store, config, 'cut-over-json');
  const tenantId = tenant.tenant.id;
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  const { id } = await addUpstream(store, keyringFor(config, store.upstreams), tenantId, {
    dialect: 'wooshpay',
    baseUrl: 'http://127.0.0.1:9/wooshpay',
    mode: 'mirror',
    credentials: { secret_key: 'sk_test_provider' },
  });
  const shown = async () => (await (await app.request(`/gateway/v1/upstreams/${id}`, { headers: auth })).json()) as Detail;

  const shadow = JSON.parse(await runCli(['upstream', 'mode', tenantId, id, 'shadow', '--json'], env)) as Detail;
  expect(shadow).toMatchObject({ id, mode: 'shadow', links: 0 });
  expect(shadow.history.at(-1)).toMatchObject({ event: 'mode', mode: 'shadow' });
  expect(shadow).toEqual(await shown());

  await recordReconciliation(store, tenantId, id, 0);
  const promoted = JSON.parse(await runCli(['upstream', 'promote', tenantId, id, '--json'], env)) as Detail;
  expect(promoted).toMatchObject({ id, mode: 'proxy', links: 0, forced: false });
  expect(promoted.history.at(-1)).toMatchObject({ event: 'promoted', mode: 'proxy' });
  expect(promoted).toEqual({ ...(await shown()), forced: false });

  const demoted = JSON.parse(await runCli(['upstream', 'demote', tenantId, id, '--json'], env)) as Detail;
  expect(demoted).toMatchObject({ id, mode: 'mirror', links: 0 });
  expect(demoted.history.at(-1)).toMatchObject({ event: 'demoted', mode: 'mirror' });
  expect(demoted).toEqual(await shown());
}, 60_000);
