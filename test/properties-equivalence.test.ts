import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import type { FieldName } from '../schemas/index.ts';
import { applyPatch } from '../src/core/index.ts';
import type { AnyDialect, FieldCoverage, Principal } from '../src/contract/dialect.ts';
import { fullPatchArb, patchArb, uniqueIds, writable } from './support/arbitraries.ts';
import { carried, fieldsOf, hiddenMembers, seedCustomer, toWire, update } from './support/dialect-harness.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';
import { propertyParameters, propertyTimeout } from './support/property-runs.ts';

// Cross-dialect equivalence: one canonical change, expressed in each dialect's wire form, gives
// the same stored customer through every dialect, on every field (and member) that each of them
// carried without loss. Each run starts every dialect from the same stored customer.

const translating: AnyDialect[] = Object.values(dialects);
// CUSTGATE_EQUIVALENCE_RUNS sets the runs: 200 by default (each is 15 requests), more for a longer local run.
const runs = Number(process.env.CUSTGATE_EQUIVALENCE_RUNS ?? 200);

// Identifiers unique within a tenant cannot be set to one value on several customers; the round
// trip covers them.
const identifiers: FieldName[] = ['alias', 'external_id'];

type Write = NonNullable<FieldCoverage['write']>;

/** What any translating dialect can do to each field: the change is drawn from all of it. */
function unionWrites(): Partial<Record<FieldName, Write>> {
  const out: Partial<Record<FieldName, Write>> = {};
  for (const d of translating) {
    for (const [field, w] of Object.entries(writable(d.translation.coverage)) as [FieldName, Write][]) {
      if (identifiers.includes(field)) continue;
      const prev = out[field];
      const mode = prev?.mode === 'merge' || w.mode === 'merge' ? 'merge' : (prev?.mode ?? w.mode);
      out[field] = { set: (prev?.set ?? false) || w.set, clear: (prev?.clear ?? false) || w.clear, ...(mode ? { mode } : {}) };
    }
  }
  return out;
}

let gw: TestGateway;
let principal: Principal;
beforeAll(async () => {
  gw = await testGateway();
  principal = { tenantId: gw.tenant.tenant.id, credentialId: 'x', livemode: false };
});

it('one canonical change gives the same stored customer through every dialect', { timeout: propertyTimeout(180_000, runs) }, async () => {
  const hidden = new Map(translating.map((d) => [d, hiddenMembers(d, principal)] as const));
  await fc.assert(
    fc.asyncProperty(fullPatchArb, patchArb(unionWrites()), async (start, change) => {
      const results = [];
      for (const dialect of translating) {
        const before = await seedCustomer(gw, uniqueIds(start));
        const wire = toWire(dialect, change, fieldsOf(before));
        const res = await update(gw, dialect, before.ids, wire.body);
        expect(res.status, `${dialect.name}: ${JSON.stringify(wire.body)} -> ${await res.clone().text()}`).toBe(200);
        const after = fieldsOf(await gw.canonical(before.ids.uuid as string));
        results.push({ dialect, before: fieldsOf(before), after, wire, hidden: hidden.get(dialect)! });
      }
      for (const a of results) {
        // Each dialect did what the change says on what it carried…
        const expected = applyPatch(a.before, a.wire.patch);
        expect(carried(a.after, a.wire.losses, a.hidden, identifiers), `${a.dialect.name}: ${JSON.stringify(a.wire)}`).toEqual(
          carried(expected, a.wire.losses, a.hidden, identifiers),
        );
        // …and any two agree on what both carried.
        for (const b of results) {
          if (a === b) continue;
          const losses = [...a.wire.losses, ...b.wire.losses];
          const hiddenBoth = [...a.hidden, ...b.hidden];
          expect(carried(a.after, losses, hiddenBoth, identifiers), `${a.dialect.name} vs ${b.dialect.name}`).toEqual(
            carried(b.after, losses, hiddenBoth, identifiers),
          );
        }
      }
    }),
    propertyParameters(runs),
  );
});
