import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { type CustomerPatch, type FieldName, fieldNames, merge, set } from '../schemas/index.ts';
import { applyPatch, diffFields } from '../src/core/index.ts';
import type { AnyDialect, Principal } from '../src/contract/dialect.ts';
import { fullPatchArb, uniqueIds, valueArbs, writable } from './support/arbitraries.ts';
import { carried, fieldsOf, hiddenMembers, seedCustomer, toWire, update, type Wire } from './support/dialect-harness.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';
import { propertyParameters, propertyTimeout } from './support/property-runs.ts';

// Concurrency: updates fired at once through every dialect, each setting a different field, plus
// two metadata merges of different keys, all reach the stored customer (none is lost to another
// writer's read-modify-write), with one version and one change event per effective write.
// CUSTGATE_CONCURRENCY_RUNS sets the runs (200).

const runs = Number(process.env.CUSTGATE_CONCURRENCY_RUNS ?? 200);

const translating: AnyDialect[] = Object.values(dialects);

/** Fields some dialect sends in every body (Bigcapital's displayName): a concurrent write of them is last-writer-wins. */
function pinnedFields(): Set<FieldName> {
  const pinned = new Set<FieldName>();
  const current = Object.fromEntries(fieldNames.map((f) => [f, 'x'])) as never;
  for (const d of translating) for (const f of Object.keys(toWire(d, {}, current).patch) as FieldName[]) pinned.add(f);
  return pinned;
}

/** A different field for each dialect, one it writes; fields fewer dialects write go first. */
function assignFields(): Map<AnyDialect, FieldName> {
  const pinned = pinnedFields();
  const candidates = new Map(
    translating.map((d) => {
      const fields = (Object.entries(writable(d.translation.coverage)) as [FieldName, { set: boolean }][])
        .filter(([f, w]) => w.set && f !== 'metadata' && !pinned.has(f))
        .map(([f]) => f);
      return [d, fields] as const;
    }),
  );
  const writers = (f: FieldName) => translating.filter((d) => candidates.get(d)!.includes(f)).length;
  const order = [...translating].sort((a, b) => candidates.get(a)!.length - candidates.get(b)!.length);
  const assignment = new Map<AnyDialect, FieldName>();
  const taken = new Set<FieldName>();
  const assign = (i: number): boolean => {
    if (i === order.length) return true;
    const d = order[i]!;
    for (const f of [...candidates.get(d)!].sort((a, b) => writers(a) - writers(b))) {
      if (taken.has(f)) continue;
      taken.add(f);
      assignment.set(d, f);
      if (assign(i + 1)) return true;
      taken.delete(f);
    }
    return false;
  };
  if (!assign(0)) throw new Error('no field assignment: some dialect writes no field of its own');
  return assignment;
}

let gw: TestGateway;
let principal: Principal;
beforeAll(async () => {
  gw = await testGateway();
  principal = { tenantId: gw.tenant.tenant.id, credentialId: 'x', livemode: false };
});

it('concurrent updates through every dialect lose no field, and each effective write is one version and one event', {
  timeout: propertyTimeout(30_000, runs),
}, async () => {
  const assignment = assignFields();
  const mergers = translating.filter((d) => d.translation.coverage.metadata?.write?.mode === 'merge');
  const hidden = new Map(translating.map((d) => [d, hiddenMembers(d, principal)] as const));
  const values = fc.record(Object.fromEntries([...assignment].map(([d, f]) => [d.name, valueArbs[f] as fc.Arbitrary<unknown>])));
  let run = 0;

  await fc.assert(
    fc.asyncProperty(
      fullPatchArb,
      values,
      fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 })),
      async (start, drawn, [va, vb]) => {
        const before = await seedCustomer(gw, uniqueIds(start));
        const base = fieldsOf(before);
        const writes: { dialect: AnyDialect; wire: Wire }[] = [];
        for (const [d, f] of assignment)
          writes.push({ dialect: d, wire: toWire(d, uniqueIds({ [f]: set(drawn[d.name]) } as CustomerPatch), base) });
        run++;
        if (mergers.length > 0) {
          // Two merges of different keys, through different dialects where two merge metadata.
          const keys = [`ka_${run}`, `kb_${run}`];
          [va, vb].forEach((value, i) => {
            const d = mergers[i % mergers.length]!;
            writes.push({ dialect: d, wire: toWire(d, { metadata: merge({ [keys[i]!]: set(value.trim() || 'v') }) }, base) });
          });
        }

        const responses = await Promise.all(writes.map((w) => update(gw, w.dialect, before.ids, w.wire.body)));
        for (const [i, res] of responses.entries()) expect(res.status, `${writes[i]!.dialect.name}: ${await res.text()}`).toBe(200);

        const after = await gw.canonical(before.ids.uuid as string);
        const expected = writes.reduce((fields, w) => applyPatch(fields, w.wire.patch), base);
        const losses = writes.flatMap((w) => w.wire.losses);
        const hiddenAll = writes.flatMap((w) => hidden.get(w.dialect)!);
        expect(carried(fieldsOf(after), losses, hiddenAll)).toEqual(carried(expected, losses, hiddenAll));

        const effective = writes.filter((w) => diffFields(base, applyPatch(base, w.wire.patch)).length > 0);
        expect(after.version).toBe(before.version + effective.length);

        const res = await gw.request(`/gateway/v1/customers/${before.ids.uuid as string}/events`, {
          // The gateway API takes any of the tenant's credentials.
          headers: fixturesOf(translating[0]!).auth(gw.tenant.credentials[translating[0]!.name]!),
        });
        const { data } = (await res.json()) as {
          data: { version: number; dialect: string; action: string; changes: { field: string }[] }[];
        };
        expect(data.map((e) => e.version)).toEqual(Array.from({ length: after.version }, (_, i) => i + 1));
        const updates = data.filter((e) => e.action === 'update');
        expect(updates.map((e) => e.dialect).sort()).toEqual(effective.map((w) => w.dialect.name).sort());
        // Every changed field is recorded in some event.
        const changed = new Set(updates.flatMap((e) => e.changes.map((c) => c.field)));
        for (const change of diffFields(base, fieldsOf(after))) expect(changed).toContain(change.field);
      },
    ),
    propertyParameters(runs),
  );
});
