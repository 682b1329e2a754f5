import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type GatewayApp, createTenant, addUpstream } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { cli as custgate } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// Moving a deployment (README: Scaling out): a SQLite file with tenants, customers, events and
// idempotency keys is exported and imported with the real `custgate` commands into the backend
// under test (PostgreSQL in the postgres project); the same secrets, ids, versions, events and
// idempotent replays then work on the target.

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, [custgate, ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });

describe('custgate export | custgate import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custgate-transfer-'));
  const source = { ...testEnv, DATABASE_URL: `file:${join(dir, 'source.db')}` };
  const target = { ...testEnv, ...testDatabaseEnv() };
  let auth: Record<string, string>;
  let customerId: string;
  let secretsKey: string;
  let signingKey: string;
  let targetStore: Store;
  let app: GatewayApp;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  beforeAll(async () => {
    const store = await openStore(source);
    const config = loadConfig(source);
    const tenant = await createTenant(store, config, 'acme');
    auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` };
    // An upstream sealed under the generated secrets key (gateway_keys): key material to leave out.
    await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
      dialect: 'zenskar',
      baseUrl: 'http://127.0.0.1:9/zenskar',
      mode: 'mirror',
      credentials: tenant.credentials.zenskar,
    });
    secretsKey = await store.upstreams.keepKey('secrets', 'unused', new Date().toISOString());
    signingKey = (await store.findSigningKey(tenant.tenant.id))!.secret;
    const sourceApp = createApp({ store, config, logger: { error: () => undefined } });
    const created = await sourceApp.request('/v1/customers', {
      method: 'POST',
      headers: { ...auth, ...form },
      body: 'name=Jenny+Rosen&email=jenny@example.com&metadata[plan]=pro',
    });
    customerId = ((await created.json()) as { id: string }).id;
    const updated = await sourceApp.request(`/v1/customers/${customerId}`, {
      method: 'POST',
      headers: { ...auth, ...form, 'idempotency-key': 'move-me' },
      body: 'phone=%2B15555550100',
    });
    expect(updated.status).toBe(200);
    await store.executor.close();

    const dump = join(dir, 'dump.ndjson');
    const exported = await cli(source, 'export', '--with-keys', dump);
    expect(exported.stderr).toContain('"customers":1');
    expect(exported.stderr).toMatch(/warning: --with-keys writes JWT signing keys and the upstream secrets key/);
    const imported = await cli(target, 'import', dump);
    expect(imported.stderr).not.toContain('no key material');
    expect(imported.stderr).toContain('"customer_events":2');
    expect(imported.stderr).toContain('"idempotency_keys":1');

    targetStore = await openStore(target);
    app = createApp({ store: targetStore, config: loadConfig(target), logger: { error: () => undefined } });
  }, 180_000);

  afterAll(async () => {
    await targetStore?.executor.close();
  });

  it('keeps credentials, ids, fields, versions and events', async () => {
    const res = await app.request(`/v1/customers/${customerId}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: customerId, name: 'Jenny Rosen', phone: '+15555550100', metadata: { plan: 'pro' } });
    const canonical = (await (await app.request(`/gateway/v1/customers/${customerId}`, { headers: auth })).json()) as {
      version: number;
      ids: { number: number };
    };
    expect(canonical.version).toBe(2);
    expect(canonical.ids.number).toBe(1);
    const events = (await (await app.request(`/gateway/v1/customers/${customerId}/events`, { headers: auth })).json()) as {
      data: { version: number; action: string }[];
    };
    expect(events.data.map((e) => [e.version, e.action])).toEqual([
      [1, 'create'],
      [2, 'update'],
    ]);
  });

  it('replays an idempotency key used before the move, and keeps writing after it', async () => {
    const replay = await app.request(`/v1/customers/${customerId}`, {
      method: 'POST',
      headers: { ...auth, ...form, 'idempotency-key': 'move-me' },
      body: 'phone=%2B15555550100',
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const next = await app.request(`/v1/customers/${customerId}`, { method: 'POST', headers: { ...auth, ...form }, body: 'name=Moved' });
    expect(next.headers.get('etag')).toBe('"v3"');
    const created = await app.request('/v1/customers', { method: 'POST', headers: { ...auth, ...form }, body: 'name=Second' });
    const second = (await created.json()) as { id: string };
    const view = (await (await app.request(`/gateway/v1/customers/${second.id}`, { headers: auth })).json()) as { ids: { number: number } };
    expect(view.ids.number).toBe(2);
  });

  it('leaves key material out unless --with-keys: no signing key, no secrets key in the file', async () => {
    const plain = join(dir, 'plain.ndjson');
    const exported = await cli(source, 'export', plain);
    expect(exported.stderr).not.toContain('warning');
    expect(exported.stderr).toContain('"signing_keys":0');
    const text = readFileSync(plain, 'utf8');
    const tablesIn = new Set(
      text
        .split('\n')
        .filter(Boolean)
        .slice(1)
        .map((l) => (JSON.parse(l) as { table: string }).table),
    );
    expect(tablesIn).toContain('upstreams');
    expect(tablesIn).not.toContain('signing_keys');
    expect(tablesIn).not.toContain('gateway_keys');
    expect(text).not.toContain(secretsKey);
    expect(text).not.toContain(signingKey);
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ format: 'custgate-export', keys: false });
    // The key-carrying export does have them (what made the file alone enough before).
    const full = readFileSync(join(dir, 'dump.ndjson'), 'utf8');
    expect(full).toContain(secretsKey);
    expect(full).toContain(signingKey);
  }, 60_000);

  // A dump cut mid-line was refused as "Unterminated string in JSON at position 41", no line named.
  it('names the line of a cut dump, and leaves the target empty', async () => {
    const lines = readFileSync(join(dir, 'dump.ndjson'), 'utf8').split('\n');
    const cut = join(dir, 'cut.ndjson');
    writeFileSync(cut, `${lines.slice(0, 3).join('\n')}\n${lines[3]!.slice(0, 30)}`);
    const empty = { ...testEnv, DATABASE_URL: `file:${join(dir, 'cut.db')}` };
    await expect(cli(empty, 'import', cut)).rejects.toMatchObject({ stderr: expect.stringMatching(/^custgate: line 4 is not JSON \(/m) });
    await expect(cli(empty, 'tenant', 'list', '--json')).resolves.toMatchObject({ stdout: '[]\n' });
  }, 60_000);

  it('refuses to import into a store that already has tenants', async () => {
    await expect(cli(target, 'import', join(dir, 'dump.ndjson'))).rejects.toMatchObject({
      stderr: expect.stringContaining('already has tenants'),
    });
  }, 60_000);
});
