import { expect, it } from 'vitest';
import { importCustomers } from '../src/upstream/import.ts';
import { bookDeps } from './support/book-deps.ts';
import { jsonInit } from './support/gateway.ts';
import { spawnCli } from './support/processes.ts';
import { importingTenant, providerRig, switchableProxy } from './support/upstream.ts';

// `custgate upstream reconcile --ids` prints the id map as CSV. A provider's customer id may hold
// a comma or a quote (a link refuses control characters only), and such an id was written bare:
// `cus_1,"x` read as three columns. Now a field holding one is quoted, its quotes doubled (RFC
// 4180). A second custgate plays Wooshpay behind a forwarder that gives its ids a comma and a quote.

const rig = providerRig();

/** A CSV line's fields (RFC 4180: a quoted field may hold commas, `""` is a quote). */
const fields = (line: string): string[] =>
  [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) => (m[1] === undefined ? (m[2] ?? '') : m[1].replaceAll('""', '"')));

it('quotes an id holding a comma or a quote, so each line is one pair', async () => {
  const key = { authorization: `Bearer ${rig.provider.credentials.wooshpay.secret_key}` };
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${rig.provider.baseUrl('wooshpay')}/v1/customers`, jsonInit('POST', { name: `Odd ${i}` }, key));
    expect(res.status).toBe(200);
  }
  // Every id the provider lists (one page), as a provider holding such ids would list them.
  const front = await switchableProxy(rig.provider.baseUrl('wooshpay'), {
    answer: (body) => body.replace(/"id":\s*"cus_/g, '"id":"cus_a,\\"b'),
  });
  try {
    const { tenantId, upstreamId } = await importingTenant(rig.store, rig.env, rig.provider, 'reconcile-csv', front.url);
    const row = (await rig.store.upstreams.find(tenantId, upstreamId))!;
    expect(await importCustomers(bookDeps(rig.store, rig.env), row)).toMatchObject({ state: 'done', imported: 3 });

    const run = await spawnCli(['upstream', 'reconcile', tenantId, upstreamId, '--ids'], rig.env).exit;
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('local_id,upstream_id');
    expect(lines).toHaveLength(4);
    for (const line of lines.slice(1)) {
      const pair = fields(line);
      expect(pair, line).toHaveLength(2);
      expect(pair[1]).toMatch(/^cus_a,"b/);
    }
  } finally {
    await front.close();
  }
}, 120_000);
