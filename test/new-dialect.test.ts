import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, describe, expect, it } from 'vitest';
import { type Registry, registry } from '../dialects/index.ts';
import { dialectList } from '../src/contract/registry.ts';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { addUpstream } from '../src/upstream/registry.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { fixturesParrot } from './fixtures/parrot/fixtures.ts';
import { parrot } from './fixtures/parrot/index.ts';
import { contractSuite } from './support/contract-suite.ts';
import { pairsWith, readEchoSuite } from './support/read-echo.ts';
import { translateCompleteSuite } from './support/translate-complete.ts';
import { jsonInit, probeAuth, testEnv, testGateway } from './support/gateway.ts';
import { createTenant } from './support/registered.ts';
import { testStore } from './support/store.ts';

// The boundary: a dialect is its folder and one registry line. test/fixtures/parrot is a dialect
// folder that src/ has never heard of; registered here with one line, it passes the same contract
// suite as the shipped dialects, served beside them, and every other surface picks it up: its
// OpenAPI document, translate, coverage, the console, and its client half as an upstream.

const withParrot = { ...registry, parrot: { dialect: parrot, fixtures: fixturesParrot } } satisfies Registry;

contractSuite(withParrot, ['parrot']);

// The generated property suites take it as they take the shipped dialects, for every pair it is
// part of (from it into each dialect, from each shipped one into it), at a few runs per pair:
// CUSTGATE_NEW_DIALECT_RUNS for more.
const runs = Number(process.env.CUSTGATE_NEW_DIALECT_RUNS ?? 10);
describe('read-echo with a registered dialect', () => {
  readEchoSuite(withParrot, pairsWith(withParrot, 'parrot'), runs);
});
describe('translate with a registered dialect', () => {
  translateCompleteSuite(withParrot, pairsWith(withParrot, 'parrot'), runs);
});

describe('a dialect registered by one line', () => {
  const servers: NodeGateway[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('is not shipped', () => {
    expect(Object.keys(registry)).not.toContain('parrot');
  });

  it('is served beside the shipped dialects, and the gateway API takes its key', async () => {
    const gw = await testGateway({}, withParrot);
    const health = (await (await gw.request('/gateway/v1/health', { headers: probeAuth })).json()) as { dialects: string[] };
    expect(health.dialects).toEqual([...Object.keys(registry), 'parrot']);
    const auth = { authorization: `Bearer ${gw.tenant.credentials.parrot!.api_key}` };
    const created = await gw.request('/parrot/customers', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Polly' }),
    });
    const { id } = (await created.json()) as { id: string };
    const canonical = await gw.request(`/gateway/v1/customers/${id}`, { headers: auth });
    expect(canonical.status).toBe(200);
    expect(await canonical.json()).toMatchObject({ name: 'Polly' });
  });

  it('has a valid OpenAPI document listing its update route, and a place on the index page', async () => {
    const gw = await testGateway({}, withParrot);
    const res = await gw.request('/parrot/openapi.json');
    expect(res.status).toBe(200);
    const document = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const checked = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(checked.errors ?? []).toEqual([]);
    expect(checked.valid).toBe(true);
    expect(Object.keys(document.paths['/parrot/customers/{id}'] ?? {})).toContain('patch');
    const index = (await (await gw.request('/')).json()) as { dialects: { name: string; openapi: string }[] };
    expect(index.dialects.find((d) => d.name === 'parrot')).toMatchObject({ openapi: '/parrot/openapi.json' });
  });

  it('is translated to and from, and appears in the coverage matrix', async () => {
    const gw = await testGateway({}, withParrot);
    const auth = { authorization: `Bearer ${gw.tenant.credentials.parrot!.api_key}` };
    const to = await gw.request('/gateway/v1/translate?from=parrot&to=zenskar', jsonInit('POST', { name: 'Polly', phone: null }, auth));
    expect(to.status).toBe(200);
    expect(await to.json()).toMatchObject({ from: 'parrot', to: 'zenskar', body: { customer_name: 'Polly', phone_number: null } });
    const from = await gw.request(
      '/gateway/v1/translate?from=zenskar&to=parrot',
      jsonInit('POST', { customer_name: 'Polly', email: 'polly@example.com', external_id: 'crm-1' }, auth),
    );
    expect(from.status).toBe(200);
    const back = (await from.json()) as { body: unknown; losses: { field: string }[] };
    expect(back.body).toEqual({ name: 'Polly', email: 'polly@example.com' });
    expect(back.losses.map((l) => l.field)).toContain('external_id');

    const coverage = (await (await gw.request('/gateway/v1/coverage', { headers: auth })).json()) as {
      dialects: string[];
      fields: { field: string; dialects: Record<string, { as: string } | null> }[];
    };
    expect(coverage.dialects).toContain('parrot');
    expect(coverage.fields.find((f) => f.field === 'email')?.dialects.parrot).toMatchObject({ as: 'email' });
    expect(coverage.fields.find((f) => f.field === 'metadata')?.dialects.parrot).toBeNull();
  });

  it('shows its credential scheme in the console, which authenticates with it', async () => {
    const gw = await testGateway({}, withParrot);
    const page = await (await gw.request('/console')).text();
    const option = /<option value="([^"]+)">Authorization: Bearer \(([^)]*)\)<\/option>/.exec(page);
    expect(option?.[2]).toContain('parrot key');
    // The value says how the console's script sends the secret (src/web/console/app.ts).
    expect(option?.[1]).toBe('authorization');
  });

  it('is an upstream: a proxied write through it lands at a second gateway speaking it', async () => {
    const remoteStore = await testStore();
    const remote = await startNode({ ...testEnv }, { port: 0, hostname: '127.0.0.1', store: remoteStore, registry: withParrot });
    servers.push(remote);
    const there = await createTenant(remoteStore, remote.config, 'provider', { dialects: dialectList(withParrot) });
    const theirKey = { authorization: `Bearer ${there.credentials.parrot!.api_key}` };

    const gw = await testGateway({}, withParrot);
    const keyring = keyringFor(gw.config, gw.store.upstreams);
    await addUpstream(gw.store, { keyring, dialects: dialectList(withParrot) }, gw.tenant.tenant.id, {
      dialect: 'parrot',
      baseUrl: `http://127.0.0.1:${remote.port}/parrot`,
      mode: 'proxy',
      credentials: there.credentials.parrot,
    });
    const auth = { authorization: `Bearer ${gw.tenant.credentials.parrot!.api_key}` };
    const created = await gw.request('/parrot/customers', jsonInit('POST', { name: 'Polly' }, auth));
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const updated = await gw.request(`/parrot/customers/${id}`, jsonInit('PATCH', { email: 'polly@example.com' }, auth));
    expect(updated.status, await updated.clone().text()).toBe(200);

    const links = (await (await gw.request(`/gateway/v1/customers/${id}/links`, { headers: auth })).json()) as {
      data: { remote_id: string }[];
    };
    expect(links.data).toHaveLength(1);
    const held = await fetch(`http://127.0.0.1:${remote.port}/parrot/customers/${links.data[0]!.remote_id}`, { headers: theirKey });
    expect(held.status).toBe(200);
    expect(await held.json()).toMatchObject({ name: 'Polly', email: 'polly@example.com' });
  }, 60_000);
});
