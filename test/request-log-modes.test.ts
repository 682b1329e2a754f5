import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { testGateway } from './support/gateway.ts';
import { mintToken, reissueCredentials } from './support/registered.ts';

// The request log (GET /gateway/v1/requests) keeps bodies: a live request's hold live customers.
// A key of one mode never sees the other mode's customers anywhere else (docs/security.md, 'Test
// and live mode'), so the log shows a key only the requests made with keys of its own mode.
// Before: a test key listed the tenant's live requests, bodies and all.

type Listed = { data: { method: string; path: string; request_body: unknown; response_body: unknown }[] };

describe('GET /gateway/v1/requests and the mode of the key', () => {
  it('shows a test key the test requests only, and a live key the live ones only', async () => {
    const g = await testGateway({ CUSTGATE_REQUEST_LOG_SIZE: '10' });
    try {
      const test = { authorization: `Bearer ${g.tenant.credentials.wooshpay?.secret_key}` };
      const live = await reissueCredentials(g.store, g.config, g.tenant.tenant, dialects.wooshpay, { livemode: true });
      const liveAuth = { authorization: `Bearer ${live.secret_key}` };
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const made = async (auth: Record<string, string>, name: string) => {
        const res = await g.request('/v1/customers', { method: 'POST', headers: { ...auth, ...form }, body: `name=${name}` });
        expect(res.status).toBe(200);
      };
      await made(liveAuth, 'Live+Only');
      await made(test, 'Test+Only');
      const listed = async (auth: Record<string, string>) => {
        const res = await g.request('/gateway/v1/requests', { headers: auth });
        expect(res.status).toBe(200);
        return JSON.stringify(((await res.json()) as Listed).data);
      };
      const byTest = await listed(test);
      expect(byTest).toContain('Test Only');
      expect(byTest).not.toContain('Live Only');
      const byLive = await listed(liveAuth);
      expect(byLive).toContain('Live Only');
      expect(byLive).not.toContain('Test Only');
      // A Connhex token is of the mode its claim names, through the gateway API as through its dialect.
      const liveToken = await mintToken(g.store, g.config, g.tenant.tenant, dialects.connhex, { ttlSeconds: 600, livemode: true });
      const byToken = await listed({ authorization: `Bearer ${liveToken}` });
      expect(byToken).toContain('Live Only');
      expect(byToken).not.toContain('Test Only');
    } finally {
      await g.store.executor.close();
    }
  });
});
