import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { WebhookDispatcher } from '../src/webhooks/index.ts';
import { testEnv } from './support/gateway.ts';
import { addEndpoint, createCustomer, receiver, setup } from './support/webhook-setup.ts';

// An endpoint's count of given-up deliveries (src/webhooks/dispatcher.ts) disables it at
// CUSTGATE_WEBHOOK_DISABLE_AFTER. It was counted after the round's commit, for every delivery the
// round judged given up, whether or not the commit settled it: a delivery another process had taken
// over (the round's lease ended while it sent) was counted, and could disable an endpoint whose
// deliveries were still being made. Now the count is a step of the round's commit, taken only for
// the rows the round still holds.

it('a delivery the round no longer holds when it commits is not counted against its endpoint', async () => {
  const env = { CUSTGATE_WEBHOOK_RETRY_HOURS: '0', CUSTGATE_WEBHOOK_DISABLE_AFTER: '1' };
  const s = await setup(env);
  const endpoint = await addEndpoint(s, { url: (await receiver()).url });
  await createCustomer(s);
  const config = loadConfig({ ...testEnv, ...env });
  const db = queryBuilder(s.store.executor.backend);
  const dispatcher = new WebhookDispatcher({
    ...config.webhooks,
    store: s.store,
    webhooks: s.webhooks.repo,
    keyring: keyringFor(config, s.store.upstreams),
    dialects: Object.values(dialects),
    // While the send is out, another process takes the row over (as once the round's lease ended),
    // and the receiver answers 500: the round gives the delivery up, past a retry window of none.
    fetch: async () => {
      await s.store.executor.run(
        sql`update webhook_deliveries set lease_owner = 'another-process' where endpoint_id = ${endpoint.id}`.compile(db),
      );
      return new Response('down', { status: 500 });
    },
  });
  await dispatcher.drain();
  const shown = (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}`, { headers: s.auth() })).json()) as {
    status: string;
    failures: number;
  };
  // The other holder's row is pending still: nothing was given up, nothing disabled.
  const [row] = await s.store.executor.all(
    sql<{
      state: string;
      lease_owner: string;
    }>`select state, lease_owner from webhook_deliveries where endpoint_id = ${endpoint.id}`.compile(db),
  );
  expect(row).toMatchObject({ state: 'pending', lease_owner: 'another-process' });
  expect(shown).toMatchObject({ status: 'enabled', failures: 0 });
  expect(s.logged.map((l) => l.event)).not.toContain('webhook_endpoint_disabled');
});

it('given-up deliveries are counted in the round that gives them up, and disable the endpoint at the limit', async () => {
  const s = await setup({ CUSTGATE_WEBHOOK_RETRY_HOURS: '0', CUSTGATE_WEBHOOK_DISABLE_AFTER: '2' });
  const r = await receiver();
  r.status = 500;
  const endpoint = await addEndpoint(s, { url: r.url });
  const shown = async () =>
    (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}`, { headers: s.auth() })).json()) as {
      status: string;
      failures: number;
    };
  await createCustomer(s);
  expect(await s.webhooks.dispatcher.drain()).toMatchObject({ dead: 1 });
  expect(await shown()).toMatchObject({ status: 'enabled', failures: 1 });
  await createCustomer(s);
  expect(await s.webhooks.dispatcher.drain()).toMatchObject({ dead: 1 });
  expect(await shown()).toMatchObject({ status: 'disabled', failures: 2 });
  expect(s.logged.filter((l) => l.event === 'webhook_endpoint_disabled')).toHaveLength(1);
});
