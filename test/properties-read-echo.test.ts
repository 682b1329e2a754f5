import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { diffFields } from '../src/core/index.ts';
import type { AnyDialect } from '../src/dialect.ts';
import { fullPatchArb, patchArb, uniqueIds, writable } from './support/arbitraries.ts';
import { echoBody } from './support/echo.ts';
import { fieldsOf, itemPath, seedCustomer, toWire, update } from './support/dialect-harness.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

// Read-echo is a no-op (DESIGN.md, "Rules at the seams"; docs/seams.md): for every ordered pair of
// origin and echo dialect, an arbitrary canonical customer, then written through the origin (any
// field it writes set, cleared or merged), read through the echo dialect and written back as read
// through it, keeps every canonical field and makes no new version.
// CUSTGATE_ECHO_RUNS sets the runs per pair (200 by default; more for a longer local run).

const runs = Number(process.env.CUSTGATE_ECHO_RUNS ?? 200);
const registered: AnyDialect[] = Object.values(dialects);
const pairs = registered.flatMap((origin) => registered.map((echo) => [`${origin.name} -> ${echo.name}`, origin, echo] as const));

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

describe.each(pairs)('read-echo %s', (_name, origin, echo) => {
  it(`writing back what ${echo.name} shows changes nothing`, async () => {
    const auth = echo.examples.auth(gw.tenant.credentials[echo.name]!);
    await fc.assert(
      fc.asyncProperty(fullPatchArb, patchArb(writable(origin.coverage)), async (start, written) => {
        const seeded = await seedCustomer(gw, uniqueIds(start));
        const wire = toWire(origin, uniqueIds(written), fieldsOf(seeded));
        const res = await update(gw, origin, seeded.ids, wire.body);
        expect(res.status, `${origin.name} write: ${await res.clone().text()}`).toBe(200);
        const before = await gw.canonical(seeded.ids.uuid as string);

        const read = await gw.request(itemPath(echo, before.ids), { headers: auth });
        expect(read.status).toBe(200);
        const body = echoBody(echo, (await read.json()) as Record<string, unknown>);
        const echoed = await update(gw, echo, before.ids, body);
        expect(echoed.status, `${echo.name} echo of ${JSON.stringify(body)}: ${await echoed.clone().text()}`).toBe(200);

        const after = await gw.canonical(before.ids.uuid as string);
        const changes = diffFields(fieldsOf(before), fieldsOf(after));
        expect(changes, `${echo.name} echo of ${JSON.stringify(body)}`).toEqual([]);
        expect(after.version, 'no new version').toBe(before.version);
      }),
      { numRuns: runs },
    );
  });
});
