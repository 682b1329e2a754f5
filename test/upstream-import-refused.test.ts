import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { failingCli } from './support/processes.ts';
import { createApp, type GatewayApp } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { fillBook, importingTenant, type Provider, startProvider, switchableProxy } from './support/upstream.ts';

// A provider's book holds a few customers this gateway cannot store as the provider holds them:
// one with a NUL character in its name (PostgreSQL text cannot hold one; refused on every backend
// alike), one whose email is no email address (the canonical check), one larger than
// CUSTGATE_MAX_CUSTOMER_BYTES. The provider is a second custgate holding 130 customers (two pages
// of its list); a proxy in front of it shows the first two as a provider holding them would (its
// own API refuses them). The import stores every other customer of both pages, leaves those three
// out and names them (id at the provider, why) in GET …/import and the CLI's --json, and ends
// `done`: before, the page holding one failed the import, and every resume failed there again.
// `upstream reconcile` of the same list names them, where the NUL stopped it (no report) before.
// The last test shows three ids this gateway cannot keep as a link (a second custgate cannot hold
// one): one holding a NUL, one a newline, one 300 characters long. Before, any one failed its
// whole page; now each is left out and named by a name every backend keeps (control characters as
// \uXXXX escapes; past 255 characters, cut with …), and the rest of its page is imported.

const BOOK = 130;

let provider: Provider;
let store: Store;
let env: Record<string, string>;
let app: GatewayApp;
let remote: string[] = [];
/** Shown by the proxy with a NUL in the name, and with an email that is none. */
let nul: string;
let badEmail: string;
/** Held at the provider with metadata past this gateway's CUSTGATE_MAX_CUSTOMER_BYTES. */
let large: string;

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv, CUSTGATE_MAX_CUSTOMER_BYTES: '4000' };
  store = await openStore(env);
  app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
  // Ten metadata values of 450 characters: about 4.6 KB, past 4000 bytes here, well within the provider's 64 KiB.
  const metadata = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`k${k}`, 'x'.repeat(450)]));
  remote = await fillBook(provider, BOOK, (i) => ({
    name: `Book ${i}`,
    email: `book${i}@example.com`,
    ...(i === 60 ? { metadata } : {}),
  }));
  // One on each page, whichever order the list is in (100 a page), and one in between.
  nul = remote[3]!;
  large = remote[60]!;
  badEmail = remote[115]!;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => setTimeout(r, 200));
  await store?.executor.close();
  await provider?.process.stop();
});

/** The provider's list as a provider holding the two customers would show it. */
function holding(body: string, url: string): string {
  if (!url.startsWith('/wooshpay/v1/customers')) return body;
  const show = (c: Record<string, unknown>) =>
    c.id === nul ? { ...c, name: 'Bad\u0000Name' } : c.id === badEmail ? { ...c, email: 'not an email' } : c;
  const page = JSON.parse(body) as { data?: Record<string, unknown>[] };
  return JSON.stringify(Array.isArray(page.data) ? { ...page, data: page.data.map(show) } : show(page as Record<string, unknown>));
}

const tenantWith = (name: string, baseUrl: string) => importingTenant(store, env, provider, name, baseUrl);

interface JobView {
  state: string;
  pages: number;
  seen: number;
  imported: number;
  error?: string;
  refused: { upstream_id: string; reason: string }[];
  conflicts: unknown[];
}

async function finished(path: string, auth: Record<string, string>): Promise<JobView> {
  for (let i = 0; i < 1200; i++) {
    const res = await app.request(path, { headers: auth });
    expect(res.status).toBe(200);
    const view = (await res.json()) as JobView;
    if (view.state !== 'running') return view;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the import never finished');
}

const sortedById = (refused: JobView['refused']) => [...refused].sort((a, b) => a.upstream_id.localeCompare(b.upstream_id));

const expectRefusals = (refused: JobView['refused']) => {
  expect(refused.map((r) => r.upstream_id).sort()).toEqual([nul, large, badEmail].sort());
  const why = (id: string) => refused.find((r) => r.upstream_id === id)!.reason;
  expect(why(nul)).toBe('a NUL character in a value (name)');
  expect(why(badEmail)).toMatch(/email/);
  expect(why(large)).toMatch(/at most 4000 are stored per customer/);
};

it('leaves out the customers it cannot store, imports every other one of every page, and names them', async () => {
  const proxy = await switchableProxy(provider.base, { answer: holding });
  try {
    const { tenantId, upstreamId, auth, path } = await tenantWith('refused-http', `${proxy.url}/wooshpay`);
    const started = await app.request(path, jsonInit('POST', {}, auth));
    expect(started.status).toBe(202);
    const done = await finished(path, auth);
    expect(done).toMatchObject({ state: 'done', pages: 2, seen: BOOK, imported: BOOK - 3, conflicts: [] });
    expect(done.error).toBeUndefined();
    expectRefusals(done.refused);
    expect(await store.countCustomers(tenantId)).toBe(BOOK - 3);
    expect(await store.upstreams.linkCount(tenantId, upstreamId)).toBe(BOOK - 3);
    for (const id of [nul, large, badEmail]) expect(await store.upstreams.findLinkByRemote(tenantId, upstreamId, id)).toBeUndefined();

    // Run again (a walk from the first page): nothing stored twice, the three named again.
    expect((await app.request(path, jsonInit('POST', {}, auth))).status).toBe(202);
    const again = await finished(path, auth);
    expect(again).toMatchObject({ state: 'done', seen: BOOK, imported: 0 });
    expectRefusals(again.refused);
    expect(await store.countCustomers(tenantId)).toBe(BOOK - 3);

    // Reconcile walks the same list to its end: the three are missing here, and named as the import names them.
    const reconciled = await app.request(`/gateway/v1/upstreams/${upstreamId}/reconciliation`, { headers: auth });
    expect(reconciled.status).toBe(200);
    const report = (await reconciled.json()) as { clean: boolean; missing_local: string[]; refused: JobView['refused'] };
    expect(report).toMatchObject({ clean: false, counts: { upstream: BOOK, linked: BOOK - 3, missing_local: 3, refused: 3 } });
    expect(report.missing_local.sort()).toEqual([nul, large, badEmail].sort());
    expectRefusals(report.refused);
    expect(sortedById(report.refused)).toEqual(sortedById(done.refused));
  } finally {
    await proxy.close();
  }
}, 120_000);

it('the CLI imports the rest, prints them in --json and exits 3', async () => {
  const proxy = await switchableProxy(provider.base, { answer: holding });
  try {
    const { tenantId, upstreamId } = await tenantWith('refused-cli', `${proxy.url}/wooshpay`);
    const run = await failingCli(['upstream', 'import', tenantId, upstreamId, '--json'], env);
    expect(run, 'the import exited 0').toBeDefined();
    expect(run!.code).toBe(3);
    const printed = JSON.parse(run!.stdout) as JobView;
    expect(printed).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK - 3 });
    expectRefusals(printed.refused);
    expect(run!.stderr).toContain('3 customers of upstream');
    expect(run!.stderr).toContain(nul);
    expect(await store.countCustomers(tenantId)).toBe(BOOK - 3);

    // `upstream reconcile` names the same three, for the same reasons (exit 1: the books differ by them).
    const reconciled = await failingCli(['upstream', 'reconcile', tenantId, upstreamId, '--json'], env);
    expect(reconciled?.code).toBe(1);
    const report = JSON.parse(reconciled!.stdout) as { counts: { refused: number }; refused: JobView['refused'] };
    expect(report.counts.refused).toBe(3);
    expectRefusals(report.refused);
  } finally {
    await proxy.close();
  }
}, 120_000);

/** Three customers as a provider holding ids this gateway cannot keep would show them. */
const badIds = () =>
  new Map([
    [remote[10]!, `${remote[10]}\u0000x`],
    [remote[20]!, `${remote[20]}\nx\u009b31m`],
    [remote[40]!, `${remote[40]}${'y'.repeat(300)}`],
  ]);

/** The three, beside the customer past CUSTGATE_MAX_CUSTOMER_BYTES (refused here as in the tests above). */
const expectNamed = (all: JobView['refused']) => {
  expect(all.map((r) => r.upstream_id)).toContain(large);
  const refused = all.filter((r) => r.upstream_id !== large);
  const why = (name: string) => refused.find((r) => r.upstream_id === name)?.reason;
  expect(refused).toHaveLength(3);
  expect(why(`${remote[10]}\\u0000x`)).toBe(
    'its id at the provider holds a NUL character (named with its control characters escaped as \\uXXXX and a backslash doubled)',
  );
  // U+009B (CSI in a terminal) escaped too, though a link may hold it.
  expect(why(`${remote[20]}\\u000ax\\u009b31m`)).toMatch(/^its id at the provider holds a control character \(named with/);
  const long = badIds().get(remote[40]!)!;
  const cut = `${long.slice(0, 254)}…`;
  expect(cut).toHaveLength(255);
  expect(why(cut)).toBe(
    `its id at the provider is ${long.length} characters long, past the 255 a link holds (named with its control characters escaped as \\uXXXX and a backslash doubled, by its first 254 characters so written, then …)`,
  );
};

it('leaves out a customer whose id cannot be a link, names it safely, and imports the rest of its page', async () => {
  const shown = badIds();
  // Not the last of a page in either order (Stripe's next page starts after the last id shown).
  const showing = (body: string, url: string) => {
    if (!url.startsWith('/wooshpay/v1/customers')) return body;
    const page = JSON.parse(body) as { data?: Record<string, unknown>[] };
    const show = (c: Record<string, unknown>) => (shown.has(c.id as string) ? { ...c, id: shown.get(c.id as string) } : c);
    return JSON.stringify(Array.isArray(page.data) ? { ...page, data: page.data.map(show) } : page);
  };
  const proxy = await switchableProxy(provider.base, { answer: showing });
  try {
    const { tenantId, upstreamId, auth, path } = await tenantWith('bad-ids', `${proxy.url}/wooshpay`);
    expect((await app.request(path, jsonInit('POST', {}, auth))).status).toBe(202);
    const done = await finished(path, auth);
    expect(done.error).toBeUndefined();
    expect(done).toMatchObject({ state: 'done', pages: 2, seen: BOOK, imported: BOOK - 4 });
    expectNamed(done.refused);
    expect(await store.countCustomers(tenantId)).toBe(BOOK - 4);
    expect(await store.upstreams.linkCount(tenantId, upstreamId)).toBe(BOOK - 4);

    // Run again: nothing stored twice, the three named again under the same names.
    expect((await app.request(path, jsonInit('POST', {}, auth))).status).toBe(202);
    const again = await finished(path, auth);
    expect(again).toMatchObject({ state: 'done', seen: BOOK, imported: 0 });
    expectNamed(again.refused);

    // Reconcile walks the same list: the three are missing here and named as the import names them.
    const reconciled = await app.request(`/gateway/v1/upstreams/${upstreamId}/reconciliation`, { headers: auth });
    expect(reconciled.status).toBe(200);
    const report = (await reconciled.json()) as { missing_local: string[]; refused: JobView['refused'] };
    expect(report).toMatchObject({ clean: false, counts: { upstream: BOOK, linked: BOOK - 4, missing_local: 4, refused: 4 } });
    expect(report.missing_local.sort()).toEqual(done.refused.map((r) => r.upstream_id).sort());
    expectNamed(report.refused);
  } finally {
    await proxy.close();
  }
}, 120_000);
