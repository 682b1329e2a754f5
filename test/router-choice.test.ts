import { describe, expect, it } from 'vitest';
import { testGateway } from './support/gateway.ts';

// Hono's SmartRouter picks the RegExpRouter (every route in one regular expression) unless a route
// pattern is beyond it (a regular expression inside a parameter next to a wildcard, say); then the
// whole app is routed by the TrieRouter, which walks the path segment by segment on every request.
// A route added that way would cost every customer request its routing, with no test failing.

describe('routing', () => {
  it('routes the whole gateway, every dialect and the gateway API, with the RegExpRouter', async () => {
    const gw = await testGateway();
    // The router is chosen on the first request.
    const res = await gw.request('/wooshpay/v1/customers/cus_nobody', {
      headers: { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` },
    });
    expect(res.status).toBe(404);
    const router = gw.app.router as { name: string; activeRouter?: { name: string } };
    expect(router.activeRouter?.name).toBe('RegExpRouter');
  });
});
