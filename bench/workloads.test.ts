import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf, registry } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { validate } from '../src/contract/validate.ts';
import { collectionPath, fieldsOf, itemPath } from '../test/support/dialect-harness.ts';
import { jsonInit, type TestGateway, testGateway } from '../test/support/gateway.ts';
import { deepMerge } from './fixtures.ts';
import { twinUpdates } from './twins.ts';

// The bench's update workload alternates each dialect's example with its twin (bench/twins.ts) so
// that every update changes every field it sends, at any store size. If a twin stopped being
// accepted, or stopped differing in some field, the 1,000,000 ÷ 1,000 line would again compare
// unequal work (docs/performance.md, "The sixteenth round").

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

const authOf = (d: AnyDialect) => fixturesOf(d).auth(gw.tenant.credentials[d.name]!);
const touched = (d: AnyDialect, body: unknown) => Object.keys(d.translation.updatePatch(validate(d.wire.request.update, body)));

describe.each(Object.values(dialects))('$name: the example update and its twin', (d) => {
  it('are both accepted, and each changes every field the example sends but the name', async () => {
    const ex = fixturesOf(d);
    const made = await gw.request(collectionPath(d), jsonInit('POST', ex.create, authOf(d)));
    expect(made.status).toBe(d.wire.createdStatus);
    const id = ex.idOf(await made.json());
    const view = await gw.canonical(id);
    const path = itemPath(d, view.ids, registry);
    const send = async (body: unknown) => {
      const res = await gw.request(path, jsonInit(d.routes.update, body, authOf(d)));
      expect(res.status, await res.clone().text()).toBe(200);
      return fieldsOf(await gw.canonical(id)) as Record<string, unknown>;
    };
    const twin = deepMerge(ex.update, twinUpdates[d.name as keyof typeof twinUpdates]);
    const first = await send(ex.update);
    const second = await send(twin);
    const third = await send(ex.update);
    const renamed = new Set(touched(d, ex.setName('Jenny Rosen 1')));
    const fields = touched(d, ex.update).filter((f) => !renamed.has(f));
    expect(fields.length).toBeGreaterThan(2);
    for (const field of fields) {
      expect(second[field], field).not.toEqual(first[field]);
      expect(third[field], field).not.toEqual(second[field]);
    }
  });
});
