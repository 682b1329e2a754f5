import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { dialects } from '../../dialects/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createTenant } from '../support/registered.ts';
import worker from '../../src/entries/worker.ts';
import { webhooksFor } from '../../src/webhooks/index.ts';
import { testStore } from '../support/store.ts';

// src/entries/worker.ts as deployed, with a webhook endpoint: the write records the delivery in its
// D1 batch and tries it in waitUntil; the cron handler tries again once the backoff has passed. The
// endpoint cannot be reached, so each try is a failed attempt in the delivery log.

describe('the worker entry with a webhook endpoint', () => {
  it('tries the delivery after the write and again on the cron trigger', async () => {
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-webhooks');
    const webhooks = webhooksFor(store, config, Object.values(dialects), { kickAfterWrite: false });
    const { endpoint } = await webhooks.add(tenant.tenant.id, { url: 'http://127.0.0.1:9/hooks' });
    const res = await SELF.fetch('https://custgate.test/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Edge',
    });
    expect(res.status).toBe(200);
    const attempts = async () => (await webhooks.repo.attempts(tenant.tenant.id, endpoint.id, 10)).length;
    for (let i = 0; i < 100 && (await attempts()) < 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await attempts()).toBe(1);
    const delivery = await env.DB.prepare('select state, next_attempt_at from webhook_deliveries where endpoint_id = ?')
      .bind(endpoint.id)
      .first<{ state: string; next_attempt_at: string }>();
    expect(delivery?.state).toBe('pending');

    // After the backoff (under a second on a first failure), the cron handler sends it again.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(delivery!.next_attempt_at) - Date.now()) + 50));
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(await attempts()).toBe(2);
  });
});
