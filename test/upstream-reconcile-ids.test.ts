import { expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { importCustomers } from '../src/upstream/import.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { bookDeps } from './support/book-deps.ts';
import { jsonInit } from './support/gateway.ts';
import { spawnCli } from './support/processes.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { laterPagesRefused } from './support/import-over-http.ts';
import { providerRig } from './support/upstream.ts';

// `custgate upstream reconcile --ids` prints the id map as CSV. When the reconciliation failed
// part-way (the provider refused its second page), the rows found before were already on stdout
// with exit status 2: a script writing them to a file (`> ids.csv`) held a map that looked whole.
// A failure now prints nothing on stdout; a success prints the header and every row. A second
// custgate plays Wooshpay behind a forwarder that refuses the second page when told to.

const BOOK = 130; // two pages of the client half's list (100 a page)
const rig = providerRig();

it('prints nothing on stdout when it fails part-way (exit 2), every row when it completes (exit 0)', async () => {
  const key = { authorization: `Bearer ${rig.provider.credentials.wooshpay.secret_key}` };
  for (let i = 0; i < BOOK; i++) {
    const res = await fetch(`${rig.provider.baseUrl('wooshpay')}/v1/customers`, jsonInit('POST', { name: `Mapped ${i}` }, key));
    expect(res.status).toBe(200);
  }
  let refusing = false;
  const front = await laterPagesRefused(rig.provider.baseUrl('wooshpay'), () => refusing, 401, 'Invalid API Key provided.');
  try {
    const config = loadConfig(rig.env);
    const tenant = await createTenant(rig.store, config, 'reconcile-ids');
    const upstream = await addUpstream(rig.store, keyringFor(config, rig.store.upstreams), tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: front.url,
      mode: 'mirror',
      credentials: rig.provider.credentials.wooshpay,
    });
    const row = (await rig.store.upstreams.find(tenant.tenant.id, upstream.id))!;
    expect(await importCustomers(bookDeps(rig.store, rig.env), row)).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK });

    refusing = true;
    const failed = await spawnCli(['upstream', 'reconcile', tenant.tenant.id, upstream.id, '--ids'], rig.env).exit;
    expect(failed.code).toBe(2);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/^custgate: /);

    refusing = false;
    const whole = await spawnCli(['upstream', 'reconcile', tenant.tenant.id, upstream.id, '--ids'], rig.env).exit;
    expect(whole.code, whole.stderr).toBe(0);
    const lines = whole.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('local_id,upstream_id');
    expect(lines).toHaveLength(BOOK + 1);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[1])).size).toBe(BOOK);
  } finally {
    await front.close();
  }
}, 120_000);
