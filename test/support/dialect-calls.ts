import { expect } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../../dialects/index.ts';
import { collectionPath } from './dialect-harness.ts';
import { jsonInit, type TestGateway } from './gateway.ts';

// Create, read and write one customer through a named dialect, over the real HTTP surface, for the
// example-based suites (test/seams.test.ts, test/seed-accept.test.ts).

// biome-ignore lint/suspicious/noExplicitAny: response bodies of every dialect's shape
export type Json = Record<string, any>;

/** The calls bound to a gateway that is made in a beforeAll (hence the getter). */
export function dialectCalls(gateway: () => TestGateway) {
  const auth = (d: DialectName) => fixturesOf(dialects[d]).auth(gateway().tenant.credentials[d]!);
  const itemPath = (d: DialectName, c: Json) => `${collectionPath(dialects[d])}/${fixturesOf(dialects[d]).ref(c.ids)}`;

  async function create(d: DialectName, body: unknown): Promise<Json> {
    const res = await gateway().request(collectionPath(dialects[d]), jsonInit('POST', body, auth(d)));
    const shown = (await res.json()) as Json;
    expect(res.status, JSON.stringify(shown)).toBe(dialects[d].wire.createdStatus);
    return gateway().canonical(fixturesOf(dialects[d]).idOf(shown));
  }
  async function read(d: DialectName, c: Json): Promise<Json> {
    const res = await gateway().request(itemPath(d, c), { headers: auth(d) });
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  }
  async function write(d: DialectName, c: Json, body: unknown): Promise<Response> {
    return gateway().request(itemPath(d, c), jsonInit(dialects[d].routes.update, body, auth(d)));
  }
  async function written(d: DialectName, c: Json, body: unknown): Promise<Json> {
    const res = await write(d, c, body);
    expect(res.status, await res.clone().text()).toBe(200);
    return gateway().canonical(c.ids.uuid);
  }
  return { auth, create, read, write, written };
}
