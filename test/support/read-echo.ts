import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffFields } from '../../src/core/index.ts';
import { dialectList, fixturesOf, type Registry } from '../../src/contract/registry.ts';
import { fullPatchArb, patchArb, uniqueIds, writable } from './arbitraries.ts';
import { fieldsOf, itemPath, seedCustomer, toWire, update } from './dialect-harness.ts';
import { echoBody } from './echo.ts';
import { type TestGateway, testGateway } from './gateway.ts';
import { propertyParameters, propertyTimeout } from './property-runs.ts';

// Read-echo is a no-op (docs/seams.md): for every ordered pair of
// origin and echo dialect, an arbitrary canonical customer, then written through the origin (any
// field it writes set, cleared or merged), read through the echo dialect and written back as read
// through it, keeps every canonical field and makes no new version. test/properties-read-echo.test.ts runs it
// for each origin in the registry; test/new-dialect.test.ts for a dialect injected the same way.
// CUSTGATE_ECHO_RUNS sets the runs per pair: 200 by default, more for a longer local run.

const defaultRuns = Number(process.env.CUSTGATE_ECHO_RUNS ?? 200);

/** Ordered pairs of a registry's dialects, by name: `[first, second]`. */
export type DialectPairs = readonly (readonly [string, string])[];

/** Every pair with `name` on either side (itself once): what a dialect added to `entries` brings. */
export const pairsWith = (entries: Registry, name: string): DialectPairs => [
  ...Object.keys(entries).map((other) => [name, other] as const),
  ...Object.keys(entries)
    .filter((other) => other !== name)
    .map((other) => [other, name] as const),
];

/** Every pair from `name`. */
export const pairsFrom = (entries: Registry, name: string): DialectPairs => Object.keys(entries).map((other) => [name, other] as const);

/** The read-echo property for each (origin, echo) pair of `entries`' dialects, on one gateway. */
export function readEchoSuite(entries: Registry, pairs: DialectPairs, runs = defaultRuns): void {
  const registered = dialectList(entries);
  const named = (name: string) => registered.find((d) => d.name === name)!;
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await testGateway({}, entries);
  });

  describe.each(pairs.map(([o, e]) => [o, e, named(o), named(e)] as const))('read-echo %s -> %s', (_o, _e, origin, echo) => {
    it(`writing back what ${echo.name} shows changes nothing`, { timeout: propertyTimeout(180_000, runs) }, async () => {
      const auth = fixturesOf(echo, entries).auth(gw.tenant.credentials[echo.name]!);
      await fc.assert(
        fc.asyncProperty(fullPatchArb, patchArb(writable(origin.translation.coverage)), async (start, written) => {
          const seeded = await seedCustomer(gw, uniqueIds(start));
          const wire = toWire(origin, uniqueIds(written), fieldsOf(seeded));
          const res = await update(gw, origin, seeded.ids, wire.body);
          expect(res.status, `${origin.name} write: ${await res.clone().text()}`).toBe(200);
          const before = await gw.canonical(seeded.ids.uuid as string);

          const read = await gw.request(itemPath(echo, before.ids, entries), { headers: auth });
          expect(read.status).toBe(200);
          const body = echoBody(echo, fixturesOf(echo, entries), (await read.json()) as Record<string, unknown>);
          const echoed = await update(gw, echo, before.ids, body);
          expect(echoed.status, `${echo.name} echo of ${JSON.stringify(body)}: ${await echoed.clone().text()}`).toBe(200);

          const after = await gw.canonical(before.ids.uuid as string);
          expect(diffFields(fieldsOf(before), fieldsOf(after)), `${echo.name} echo of ${JSON.stringify(body)}`).toEqual([]);
          expect(after.version, 'no new version').toBe(before.version);
        }),
        propertyParameters(runs),
      );
      // 200 runs of five requests each: well past the default 30 s in workerd on a loaded machine.
    });
  });
}
