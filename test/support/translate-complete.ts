import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Loss } from '../../src/contract/dialect.ts';
import { dialectList, fixturesOf, type Registry } from '../../src/contract/registry.ts';
import { validate } from '../../src/contract/validate.ts';
import type { CustomerFields, CustomerPatch } from '../../schemas/index.ts';
import { fullPatchArb, patchArb, uniqueIds, writable } from './arbitraries.ts';
import { carried, fieldsOf, itemPath, seedCustomer, toWire, update } from './dialect-harness.ts';
import { echoBody } from './echo.ts';
import type { DialectPairs } from './read-echo.ts';
import { jsonInit, type TestGateway, testGateway } from './gateway.ts';
import { propertyParameters, propertyTimeout } from './property-runs.ts';

// Translate is complete and exact (docs/seams.md, rule 5): for every ordered pair of source and
// target dialect, an arbitrary populated customer and an arbitrary update through the source,
// written once through the source and once, translated, through the target (on twin customers in
// two gateways), the target accepts the translated body, the two results differ only where the
// loss report says so (complete), and the report names nothing that came out the same though the
// source changed it (exact). test/properties-translate.test.ts runs it for each source in the registry;
// test/new-dialect.test.ts for a dialect injected the same way.
// CUSTGATE_TRANSLATE_RUNS sets the runs per pair: 200 by default, more for a longer local run.

const defaultRuns = Number(process.env.CUSTGATE_TRANSLATE_RUNS ?? 200);

/** Key order does not matter to a comparison; JSON.stringify's does. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A member's value (`address.line3`); tax_ids members are list entries, so the whole list. */
function at(fields: CustomerFields, path: readonly string[]): unknown {
  if (path[0] === 'tax_ids') return fields.tax_ids;
  let node: unknown = fields;
  for (const key of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

type Op = { readonly op: string; readonly value?: unknown };

/**
 * The operation a patch makes on a member (`shipping.address.city`): a member of a merge, or of a
 * whole value set; null set and clear are one. tax_ids members are list entries: the whole op.
 */
function opAt(patch: CustomerPatch, path: readonly string[]): Op | undefined {
  let op = (patch as Record<string, Op | undefined>)[path[0]!];
  if (path[0] === 'tax_ids') return op;
  for (const key of path.slice(1)) {
    if (!op || op.op === 'clear') return op;
    const inner = (op.value as Record<string, unknown> | null)?.[key];
    op = op.op === 'merge' ? (inner as Op | undefined) : { op: 'set', value: inner ?? null };
  }
  return op?.op === 'set' && op.value === null ? { op: 'clear' } : op;
}

/** The translate property for each (source, target) pair of `entries`' dialects. */
export function translateCompleteSuite(entries: Registry, pairs: DialectPairs, runs = defaultRuns): void {
  const registered = dialectList(entries);
  const named = (name: string) => registered.find((d) => d.name === name)!;
  // Twin customers in two gateways: an alias or external id the write sets is free in both.
  let viaSource: TestGateway;
  let viaTarget: TestGateway;
  beforeAll(async () => {
    viaSource = await testGateway({}, entries);
    viaTarget = await testGateway({}, entries);
  });

  describe.each(pairs.map(([s, t]) => [s, t, named(s), named(t)] as const))('translate %s -> %s', (_s, _t, source, target) => {
    it('the target takes the body, and the loss report names exactly what comes out different', {
      timeout: propertyTimeout(240_000, runs),
    }, async () => {
      const sourceAuth = { authorization: `Bearer ${viaSource.tenant.credentials.wooshpay!.secret_key}` };
      const targetAuth = fixturesOf(target, entries).auth(viaTarget.tenant.credentials[target.name]!);
      await fc.assert(
        fc.asyncProperty(fullPatchArb, patchArb(writable(source.translation.coverage)), async (start, written) => {
          const seed = uniqueIds(start);
          const a0 = await seedCustomer(viaSource, seed);
          const b0 = await seedCustomer(viaTarget, seed);
          const wire = toWire(source, uniqueIds(written), fieldsOf(a0));

          const direct = await update(viaSource, source, a0.ids, wire.body);
          expect(direct.status, `${source.name} write: ${await direct.clone().text()}`).toBe(200);
          const a = fieldsOf(await viaSource.canonical(a0.ids.uuid as string));

          const res = await viaSource.request(
            `/gateway/v1/translate?from=${source.name}&to=${target.name}`,
            jsonInit('POST', wire.body, sourceAuth),
          );
          expect(res.status, await res.clone().text()).toBe(200);
          const { body, losses } = (await res.json()) as { body: Record<string, unknown>; losses: Loss[] };

          // What a caller supplies for a property the report says the target requires: what the
          // target shows for the customer now, so the supplied value changes nothing.
          const supplied: Record<string, unknown> = {};
          const required = losses.filter((l) => l.kind === 'required' && !l.field.includes('.'));
          if (required.length > 0) {
            const shown = await viaTarget.request(itemPath(target, b0.ids, entries), { headers: targetAuth });
            const echo = echoBody(target, fixturesOf(target, entries), (await shown.json()) as Record<string, unknown>);
            for (const l of required) if (l.field in echo) supplied[l.field] = echo[l.field];
          }
          const sent = { ...supplied, ...body };
          const translated = await update(viaTarget, target, b0.ids, sent);
          expect(translated.status, `${target.name} refused ${JSON.stringify(sent)}: ${await translated.clone().text()}`).toBe(200);
          const b = fieldsOf(await viaTarget.canonical(b0.ids.uuid as string));

          const report = `${source.name} ${JSON.stringify(wire.body)} -> ${target.name} ${JSON.stringify(sent)}, losses ${JSON.stringify(losses)}`;
          // Complete: with what the report names left out, the two customers are the same.
          const asSent = source.translation.updatePatch(validate(source.wire.request.update, wire.body));
          const asRead = target.translation.updatePatch(validate(target.wire.request.update, sent));
          // A clear the source sent as null into a Stripe-like "" (a stored "" kept there) is named
          // too (dialects/stripe-like/fields.ts, noneAsEmpty): nothing is excused here.
          expect(carried(b, losses), report).toEqual(carried(a, losses));
          // Exact: a reported member came out different, or the source's write left it as it was,
          // or the target reads the translated body as a different operation there (whether that
          // shows depends on the stored customer, which translate does not see). A loss on a member
          // both dialects read as the same operation, with the same result, is over-reported.
          const before = fieldsOf(a0);
          for (const loss of losses) {
            if (loss.kind === 'required' && !loss.field.includes('.')) continue;
            // Whether a stored shipping address is "same as billing" is not in the body: the two
            // warnings that depend on it come with every shipping write into a dialect that has
            // no such flag (test/translate.test.ts shows both happen).
            if (loss.kind === 'lossy' && (loss.field === 'shipping.same_as_billing' || loss.field === 'shipping.address')) continue;
            const path = loss.field.split('.');
            const differs = stable(at(a, path)) !== stable(at(b, path));
            const untouched = stable(at(a, path)) === stable(at(before, path));
            const reread = stable(opAt(asSent, path)) !== stable(opAt(asRead, path));
            expect(differs || untouched || reread, `over-reported ${loss.field} (${loss.kind}): ${report}`).toBe(true);
          }
        }),
        propertyParameters(runs),
      );
      // 200 runs of eight requests each: well past the default 30 s in workerd on a loaded machine.
    });
  });
}
