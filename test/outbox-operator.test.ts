import { expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { addUpstream, createTenant, replicationFor } from './support/registered.ts';
import { jsonInit } from './support/gateway.ts';
import { failingCli, runCli } from './support/processes.ts';
import { providerAndGateway, switchableProxy } from './support/upstream.ts';

// `custgate outbox retry|drop` (docs/migrating.md, "Dead deliveries") steer deliveries no
// dispatcher is sending. One a dispatcher holds is being sent: a retry that cleared its lease let
// a second dispatcher send it at the same moment, and Meteroid, which takes no idempotency key,
// held the customer twice. The commands leave it to its dispatcher, and say so with exit status 1,
// as they do for a delivery id that names nothing or history; a script never reads "done" then.

// The first create is held at the provider while three CLI processes run; on a loaded machine they
// took longer than the default 10 s upstream timeout, the delivery gave up its lease, and `drop` then
// (rightly) removed it. The timeout is set past any such wait, so the delivery is in flight throughout.
const rig = providerAndGateway({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '120000' });

it('a delivery being sent is neither retried nor dropped: the provider holds the customer once', async () => {
  // The provider holds the first create until the test lets it through; any later request passes.
  const gate = () => {
    let open: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { open: () => open(), opened };
  };
  const arrival = gate();
  const release = gate();
  let creates = 0;
  const proxy = await switchableProxy(rig.provider.base, {
    before: async (url) => {
      if (!url.endsWith('/api/v1/customers')) return;
      if (++creates === 1) {
        arrival.open();
        await release.opened;
      }
    },
  });
  try {
    const tenant = await createTenant(rig.gw.store, rig.gw.config, 'in-flight');
    await addUpstream(rig.gw.store, keyringFor(rig.gw.config, rig.gw.store.upstreams), tenant.tenant.id, {
      dialect: 'meteroid',
      baseUrl: `${proxy.url}/meteroid`,
      mode: 'mirror',
      credentials: rig.provider.credentials.meteroid,
    });
    const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    expect((await rig.gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Sent once' }, auth))).status).toBe(200);
    const first = rig.gw.dispatcher.drain({ deadline: Date.now() + 60_000 });
    await arrival.opened;

    const listed = JSON.parse(await runCli(['outbox', 'list', '--tenant', tenant.tenant.id, '--json'], rig.gw.env)) as {
      data: { id: string; state: string }[];
    };
    expect(listed.data).toMatchObject([{ state: 'pending' }]);
    const id = listed.data[0]!.id;
    for (const command of ['retry', 'drop']) {
      const run = await failingCli(['outbox', command, id, '--json'], rig.gw.env);
      expect(run?.code, command).toBe(1);
      expect(JSON.parse(run?.stdout ?? '{}')).toMatchObject({ [`${command === 'retry' ? 'retried' : 'dropped'}`]: 0, refused: [{ id }] });
      expect(run?.stderr).toContain('a dispatcher is sending it now');
    }
    // Another dispatcher on the same database finds nothing to send meanwhile.
    const other = replicationFor(rig.gw.store, rig.gw.config, { logger: { error: () => undefined } }).dispatcher;
    expect(await other.drain({ deadline: Date.now() + 30_000 })).toMatchObject({ delivered: 0 });

    release.open();
    expect(await first).toMatchObject({ delivered: 1, dead: 0 });
    const res = await fetch(`${rig.provider.baseUrl('meteroid')}/api/v1/customers?per_page=100`, {
      headers: fixturesOf(dialects.meteroid).auth(rig.provider.credentials.meteroid),
    });
    const names = ((await res.json()) as { data: { name: string }[] }).data.map((c) => c.name);
    expect(names.filter((n) => n === 'Sent once')).toHaveLength(1);
    expect(creates).toBe(1);

    // Delivered now: history, which neither command changes; an id nobody holds the same.
    const delivered = await failingCli(['outbox', 'drop', id], rig.gw.env);
    expect(delivered).toMatchObject({ code: 1, stdout: 'dropped 0 deliveries\n' });
    expect(delivered?.stderr).toContain(`${id}: delivered already`);
    const unknown = id.replace(/v\d+$/, 'v99');
    const none = await failingCli(['outbox', 'retry', unknown], rig.gw.env);
    expect(none).toMatchObject({ code: 1, stdout: 'retried 0 deliveries\n' });
    expect(none?.stderr).toContain(`${unknown}: no such delivery`);
  } finally {
    release.open();
    await proxy.close();
  }
}, 120_000);

it('outbox retry with nothing to retry named says so and exits 1, instead of "retried 0 deliveries"', async () => {
  const none = await failingCli(['outbox', 'retry'], rig.gw.env);
  expect(none).toMatchObject({ code: 1, stdout: '' });
  expect(none?.stderr).toContain('name the deliveries to retry (upstream/customer/vN), or --dead');
  // --tenant without --dead named no delivery either: the docs' `retry --dead --tenant acme`, half typed.
  const half = await failingCli(['outbox', 'retry', '--tenant', 'acme'], rig.gw.env);
  expect(half).toMatchObject({ code: 1, stdout: '' });
  expect(half?.stderr).toContain('--tenant goes with --dead');
  expect(await runCli(['outbox', 'retry', '--dead'], rig.gw.env)).toMatch(/^retried \d+ deliveries/);
}, 60_000);

it('outbox list refuses a --limit that is no count of deliveries, naming it', async () => {
  for (const limit of ['abc', '-5', '0']) {
    const run = await failingCli(['outbox', 'list', '--limit', limit], rig.gw.env);
    expect(run?.code, limit).toBe(1);
    expect(run?.stderr).toContain(`--limit must be a whole number from 1, not ${limit}`);
  }
  expect(await runCli(['outbox', 'list', '--limit', '2'], rig.gw.env)).toMatch(/^pending \d+, dead \d+/);
}, 60_000);
