import { describe, expect, it } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { reissueCredentials, registeredDialects } from './support/registered.ts';

// Which keys manage a tenant's upstreams over the gateway's API (docs/security.md, "Upstreams and
// key modes"): an upstream is sent every customer's data, of both modes, so once the tenant has a
// live key a test key can no longer add, remove or change one; and what holds customers' values
// (create attempts' `sent`, the shadow report's samples) shows a key its own mode's customers only.
// A tenant with test keys only manages its upstreams with those (test/upstream-add-http.test.ts).

/** A gateway of its own, its tenant's test key, and what issues the tenant live keys (answering one's header). */
async function withGateway(
  run: (local: TestGateway, test: Record<string, string>, goLive: () => Promise<Record<string, string>>) => Promise<void>,
): Promise<void> {
  const local = await testGateway();
  const wooshpay = registeredDialects.find((d) => d.name === 'wooshpay');
  if (!wooshpay) throw new Error('wooshpay is not registered');
  const goLive = async () => {
    const issued = await reissueCredentials(local.store, local.config, local.tenant.tenant, wooshpay, { livemode: true });
    return { authorization: `Bearer ${issued.secret_key}` };
  };
  try {
    await run(local, { authorization: `Bearer ${local.tenant.credentials.wooshpay?.secret_key}` }, goLive);
  } finally {
    await local.store.executor.close();
  }
}

/** A mirror nothing listens at (nothing here sends to it), by the given key. */
const addMirror = (local: TestGateway, name: string, auth: Record<string, string>) =>
  local.request(
    '/gateway/v1/upstreams',
    jsonInit(
      'POST',
      { dialect: 'wooshpay', base_url: `http://127.0.0.1:9/${name}`, mode: 'mirror', credentials: { secret_key: `sk_test_${name}` } },
      auth,
    ),
  );

/** A customer created through Wooshpay with the given key: its UUID. */
async function createdUuid(local: TestGateway, auth: Record<string, string>, name: string): Promise<string> {
  const made = await local.request('/v1/customers', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: `name=${name}`,
  });
  const { id } = (await made.json()) as { id: string };
  const shown = await local.request(`/gateway/v1/customers/${id}`, { headers: auth });
  return ((await shown.json()) as { ids: { uuid: string } }).ids.uuid;
}

describe('key modes', () => {
  it('once the tenant has live keys, only a live key adds, removes or changes an upstream', async () => {
    await withGateway(async (local, test, goLive) => {
      // With test keys only (as `tenant create` makes them), the test key manages its upstreams.
      const first = await addMirror(local, 'a', test);
      expect(first.status).toBe(201);
      const { id } = (await first.json()) as { id: string };

      const live = await goLive();
      const body = { dialect: 'wooshpay', base_url: 'http://127.0.0.1:9/b', mode: 'mirror', credentials: { secret_key: 'sk_test_b' } };
      const refused = [
        await local.request('/gateway/v1/upstreams', jsonInit('POST', body, test)),
        await local.request(`/gateway/v1/upstreams/${id}`, jsonInit('PATCH', { mode: 'shadow' }, test)),
        await local.request(`/gateway/v1/upstreams/${id}/webhook-secret`, jsonInit('PUT', { secret: null }, test)),
        await local.request(`/gateway/v1/upstreams/${id}/promote`, jsonInit('POST', { force: true }, test)),
        await local.request(`/gateway/v1/upstreams/${id}`, { method: 'DELETE', headers: test }),
      ];
      for (const res of refused) {
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('live key') } });
      }
      const rows = await local.store.upstreams.list(local.tenant.tenant.id);
      expect(rows.map((r) => [r.id, r.mode])).toEqual([[id, 'mirror']]);
      // Reading them is still any key's.
      expect((await local.request(`/gateway/v1/upstreams/${id}`, { headers: test })).status).toBe(200);

      const added = await local.request('/gateway/v1/upstreams', jsonInit('POST', body, live));
      expect(added.status).toBe(201);
      expect((await local.request(`/gateway/v1/upstreams/${id}`, jsonInit('PATCH', { mode: 'shadow' }, live))).status).toBe(200);
      expect((await local.request(`/gateway/v1/upstreams/${id}`, { method: 'DELETE', headers: live })).status).toBe(200);
    });
  });

  it("create attempts: a test key does not see live customers' fields once the tenant has live keys", async () => {
    await withGateway(async (local, test, goLive) => {
      const live = await goLive();
      const res = await addMirror(local, 'c', live);
      const { id: upstream } = (await res.json()) as { id: string };
      const testCustomer = await createdUuid(local, test, 'Test+One');
      const liveCustomer = await createdUuid(local, live, 'Live+One');
      const unstored = crypto.randomUUID();
      for (const [customer, name] of [
        [testCustomer, 'Test One'],
        [liveCustomer, 'Live One'],
        [unstored, 'Lost Answer'],
      ] as const) {
        await local.store.attempts.record({
          upstream_id: upstream,
          customer_id: customer,
          tenant_id: local.tenant.tenant.id,
          attempted_at: new Date().toISOString(),
          idempotency_key: null,
          sent: JSON.stringify({ name }),
          claim_id: null,
          claimed_until: null,
          claim_owner: null,
          // As recorded before migration 0057: of no known mode (test/upstream-mode-scope.test.ts has the recorded ones).
          livemode: null,
        });
      }
      const path = `/gateway/v1/upstreams/${upstream}/create-attempts`;
      const seen = async (auth: Record<string, string>) =>
        ((await (await local.request(path, { headers: auth })).json()) as { data: { customer_id: string }[] }).data
          .map((a) => a.customer_id)
          .sort();
      expect(await seen(test)).toEqual([testCustomer]);
      expect(await seen(live)).toEqual([liveCustomer, unstored].sort());
      // Nor clears one: the other mode's record is not there for it.
      expect((await local.request(`${path}/${liveCustomer}`, { method: 'DELETE', headers: test })).status).toBe(404);
      expect((await local.request(`${path}/${liveCustomer}`, { method: 'DELETE', headers: live })).status).toBe(200);
    });
  });
});

describe('the shadow report', () => {
  it("shows a key samples of its own mode's customers only; the counts stay the tenant's", async () => {
    await withGateway(async (local, test, goLive) => {
      const live = await goLive();
      const tenantId = local.tenant.tenant.id;
      const testCustomer = await createdUuid(local, test, 'Shadow+Test');
      const liveCustomer = await createdUuid(local, live, 'Shadow+Live');
      for (const [customer, name] of [
        [testCustomer, 'Shadow Test'],
        [liveCustomer, 'Shadow Live'],
      ] as const) {
        const at = new Date().toISOString();
        const check = crypto.randomUUID();
        const common = {
          tenant_id: tenantId,
          dialect: 'zenskar',
          customer_id: customer,
          local_version: 1,
          upstream_version: null,
          created_at: at,
        };
        await local.store.shadow.record({ ...common, id: check, upstream_id: 'ups_shadow', mismatches: 1 }, [
          { ...common, check_id: check, field: 'name', local_value: JSON.stringify(name), upstream_value: JSON.stringify('Other') },
        ]);
      }
      const report = async (auth: Record<string, string>) => {
        const res = await local.request('/gateway/v1/shadow', { headers: auth });
        const body = (await res.json()) as {
          dialects: {
            dialect: string;
            mismatched: number;
            fields: { field: string; mismatches: number; samples: { customer: string; local: unknown }[] }[];
          }[];
        };
        const name = body.dialects.find((d) => d.dialect === 'zenskar')?.fields.find((f) => f.field === 'name');
        return { mismatches: name?.mismatches, samples: name?.samples.map((x) => [x.customer, x.local]) };
      };
      expect(await report(test)).toEqual({ mismatches: 2, samples: [[testCustomer, 'Shadow Test']] });
      expect(await report(live)).toEqual({ mismatches: 2, samples: [[liveCustomer, 'Shadow Live']] });
    });
  });
});
