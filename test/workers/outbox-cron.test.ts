import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createTenant, addUpstream } from '../support/registered.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import worker from '../../src/entries/worker.ts';
import { testStore } from '../support/store.ts';

// src/entries/worker.ts as deployed: a write of a tenant with a mirror records its delivery in the D1
// batch and tries it in waitUntil; the cron handler tries again once the backoff has passed. The
// mirror here cannot be reached, so each try is recorded as a failed attempt.

describe('the worker entry with a mirror upstream', () => {
  it('tries the delivery after the write and again on the cron trigger', async () => {
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-outbox');
    await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
      dialect: 'zenskar',
      baseUrl: 'http://127.0.0.1:9',
      mode: 'mirror',
      credentials: { api_key: 'zk_unreachable', organisation: 'org' },
    });
    const res = await SELF.fetch('https://custgate.test/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Edge',
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const attempts = async () => {
      const rows = await env.DB.prepare(
        'select o.state, o.attempts, o.last_error from outbox o join customers c on c.id = o.customer_id where c.public_id = ?',
      )
        .bind(id)
        .all<{ state: string; attempts: number; last_error: string | null }>();
      return rows.results[0];
    };
    for (let i = 0; i < 100 && (await attempts())?.attempts !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await attempts()).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: expect.stringMatching(/could not be reached|did not answer/),
    });

    // After the backoff (at most 500 ms on a first failure), the cron handler sends it again.
    await new Promise((r) => setTimeout(r, 600));
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect((await attempts())?.attempts).toBe(2);
  });
});
