import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testGateway } from './support/gateway.ts';
import { addUpstream } from './support/registered.ts';

// GET /gateway/v1/upstreams/{id}/reconciliation walks the provider's list while the caller waits.
// Against a provider that refuses connections it waited as `custgate upstream reconcile` does
// (eight tries, about 64 s of backoff) before answering: past what a client or a load balancer
// holds a request open, so the caller got nothing. Over HTTP the waits are bounded: the answer is
// the 503 with Retry-After, in the gateway's envelope, saying where the longer wait is.

/** A port nothing listens on: one the system gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('answers a provider that refuses connections with a 503 and Retry-After, not after a minute of retries', async () => {
  const gw = await testGateway();
  const upstream = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.tenant.tenant.id, {
    dialect: 'wooshpay',
    baseUrl: `http://127.0.0.1:${await closedPort()}`,
    mode: 'mirror',
    credentials: { secret_key: 'sk_test_down0000000000' },
  });
  const auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
  const res = await gw.request(`/gateway/v1/upstreams/${upstream.id}/reconciliation`, { headers: auth });
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('upstream_unavailable');
  expect(body.error.message).toContain('custgate upstream reconcile');
  // Nothing was recorded as a reconciliation: the upstream's history has no `reconciled` step.
  const detail = (await (await gw.request(`/gateway/v1/upstreams/${upstream.id}`, { headers: auth })).json()) as {
    history?: { event: string }[];
  };
  expect(JSON.stringify(detail.history ?? [])).not.toContain('reconciled');
}, 30_000);
