import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { testEnv } from './support/gateway.ts';
import { failingCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { fillBook, importingTenant, type Provider, startProvider, switchableProxy } from './support/upstream.ts';

// What `custgate upstream import` and `reconcile` print reaches an operator's terminal, and a
// provider chooses its customers' ids and names. A bidirectional control (U+202E RIGHT-TO-LEFT
// OVERRIDE, U+2067 RIGHT-TO-LEFT ISOLATE) reorders what the operator reads ("Trojan Source"), and a
// C1 control (U+009B, CSI) restyles the screen. They were printed raw: a refused id was named with
// its C0 and C1 controls escaped but its bidirectional ones as they were, and every linked id and
// every value (JSON.stringify escapes C0 only) as it was. Now each is written as \uXXXX, and --json
// stays the same JSON value.

/** What a terminal acts on instead of showing: controls (C0, DEL, C1) and bidirectional controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const acting = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

let provider: Provider;
let store: Store;
let env: Record<string, string>;
let remote: string[] = [];

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  remote = await fillBook(provider, 3, (i) => ({ name: `Plain ${i}` }));
}, 120_000);

afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

it('import and reconcile print ids and names with their bidirectional and C1 controls escaped', async () => {
  // As a provider would show them: one id it cannot keep (a NUL) that also reverses what follows
  // it, one id it keeps that holds an isolate, and later (for reconcile) a name with both kinds.
  const refusedId = `${remote[0]}\u0000\u202etxt.exe`;
  const keptId = `${remote[1]}\u2067x`;
  const evilName = 'Evil \u202eroot\u202c \u009b31m';
  let renamed = false;
  const show = (c: Record<string, unknown>): Record<string, unknown> => {
    if (c.id === remote[0]) return { ...c, id: refusedId };
    if (c.id === remote[1]) return { ...c, id: keptId, ...(renamed ? { name: evilName } : {}) };
    return c;
  };
  const proxy = await switchableProxy(provider.base, {
    answer: (body, url) => {
      if (!url.startsWith('/wooshpay/v1/customers')) return body;
      const page = JSON.parse(body) as { data?: Record<string, unknown>[] };
      return JSON.stringify(Array.isArray(page.data) ? { ...page, data: page.data.map(show) } : page);
    },
  });
  try {
    const { tenantId, upstreamId } = await importingTenant(store, env, provider, 'bidi', `${proxy.url}/wooshpay`);

    // The import stores two and names the third: exit 3, its name on stderr, escaped.
    const imported = await failingCli(['upstream', 'import', tenantId, upstreamId], env);
    expect(imported?.code, imported?.stderr).toBe(3);
    expect(imported!.stderr).not.toMatch(acting);
    expect(imported!.stderr).toContain(`  ${remote[0]}\\u0000\\u202etxt.exe: its id at the provider holds a NUL character`);
    expect(await store.upstreams.findLinkByRemote(tenantId, upstreamId, keptId)).toBeDefined();

    // Reconcile: the kept id's customer now differs by its name at the provider.
    renamed = true;
    const text = await failingCli(['upstream', 'reconcile', tenantId, upstreamId], env);
    expect(text?.code, text?.stderr).toBe(1);
    expect(text!.stdout).not.toMatch(acting);
    // The id as a JSON string (quoted: it holds what had to be escaped), the names as JSON.
    expect(text!.stdout).toContain(`("${remote[1]}\\u2067x") name: local "Plain 1", upstream "Evil \\u202eroot\\u202c \\u009b31m"`);
    expect(text!.stdout).toContain(`    ${remote[0]}\\u0000\\u202etxt.exe`);

    // --json: nothing a terminal acts on either, and the same values to a JSON parser.
    const json = await failingCli(['upstream', 'reconcile', tenantId, upstreamId, '--json'], env);
    expect(json?.code, json?.stderr).toBe(1);
    expect(json!.stdout).not.toMatch(acting);
    const report = JSON.parse(json!.stdout) as {
      differences: { upstream_id: string; fields: { field: string; local: unknown; upstream: unknown }[] }[];
    };
    expect(report.differences).toEqual([
      expect.objectContaining({
        upstream_id: keptId,
        fields: [expect.objectContaining({ field: 'name', local: 'Plain 1', upstream: evilName })],
      }),
    ]);
  } finally {
    await proxy.close();
  }
}, 120_000);
