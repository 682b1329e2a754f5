import { CompiledQuery } from 'kysely';
import { expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { outboxRows } from './support/outbox-rows.ts';
import { runCli } from './support/processes.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';

// Beside `upstream import` and `reconcile` (test/cli-output-bidi.test.ts), the other commands print
// stored text too: a tenant's name, a provider's error on a delivery. A bidirectional control
// (U+202E, "Trojan Source") reorders what the operator reads and a C1 control (U+009B, CSI)
// restyles the screen; they were printed raw, in the text and in --json (JSON.stringify escapes C0
// only). Now each is written as \uXXXX, and --json stays the same JSON value.

/** What a terminal acts on instead of showing: controls (C0 but tab and line feed, DEL, C1) and bidirectional controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const acting = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const evil = 'Evil \u202eroot\u202c \u009b31m';
const escaped = 'Evil \\u202eroot\\u202c \\u009b31m';

/** A tenant named `evil`, with a mirror upstream and one dead delivery whose error quotes it. */
async function seeded(store: Store, env: Record<string, string>): Promise<string> {
  const config = loadConfig(env);
  const tenantId = (await createTenant(store, config, evil)).tenant.id;
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), tenantId, {
    dialect: 'wooshpay',
    baseUrl: 'http://127.0.0.1:9/wooshpay',
    mode: 'mirror',
    credentials: { secret_key: 'sk_test_EscapedOutput000000001' },
  });
  // A delivery the provider refused, in its own words.
  await outboxRows(store.executor, 1, { upstream: upstream.id, tenant: tenantId, prefix: 'cus_escaped', state: 'dead' });
  const [a, b] = store.executor.backend === 'postgres' ? ['$1', '$2'] : ['?', '?'];
  await store.executor.run(CompiledQuery.raw(`update outbox set last_error = ${a} where tenant_id = ${b}`, [`refused: ${evil}`, tenantId]));
  return tenantId;
}

it('tenant list, outbox list and reset print stored names and errors with their bidirectional and C1 controls escaped', async () => {
  const env = { ...testDatabaseEnv(), ...testEnv };
  const store = await openStore(env);
  const tenantId = await seeded(store, env).finally(() => store.executor.close());

  const listed = await runCli(['tenant', 'list'], env);
  expect(listed).not.toMatch(acting);
  expect(listed).toContain(`"${escaped}"`);

  const tenants = await runCli(['tenant', 'list', '--json'], env);
  expect(tenants).not.toMatch(acting);
  expect((JSON.parse(tenants) as { name: string }[]).map((t) => t.name)).toContain(evil);

  const outbox = await runCli(['outbox', 'list', '--tenant', tenantId], env);
  expect(outbox).not.toMatch(acting);
  expect(outbox).toContain(`last error: refused: ${escaped}`);
  const deliveries = await runCli(['outbox', 'list', '--tenant', tenantId, '--json'], env);
  expect(deliveries).not.toMatch(acting);
  expect((JSON.parse(deliveries) as { data: { last_error: string }[] }).data.map((d) => d.last_error)).toEqual([`refused: ${evil}`]);

  const reset = await runCli(['reset', '--tenant', tenantId], env);
  expect(reset).not.toMatch(acting);
  expect(reset).toContain(`Reset ${escaped} (${tenantId})`);
}, 60_000);
