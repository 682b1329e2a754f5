import { describe, expect, it } from 'vitest';
import { type Registry, registry } from '../dialects/index.ts';
import { fixturesParrot } from './fixtures/parrot/fixtures.ts';
import { parrot } from './fixtures/parrot/index.ts';
import { contractSuite } from './support/contract-suite.ts';
import { probeAuth, testGateway } from './support/gateway.ts';

// The boundary: a dialect is its folder and one registry line. test/fixtures/parrot is a dialect
// folder that src/ has never heard of; registered here with one line, it passes the same contract
// suite as the shipped dialects, served beside them.

const withParrot = { ...registry, parrot: { dialect: parrot, fixtures: fixturesParrot } } satisfies Registry;

contractSuite(withParrot, ['parrot']);

describe('a dialect registered by one line', () => {
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
});
