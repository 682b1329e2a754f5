import qs from 'qs';
import { fixturesOf } from '../dialects/index.ts';
import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { customerIds, deepMerge, prng } from './fixtures.ts';
import type { Workload } from './load.ts';

// Requests are spread uniformly over the pre-loaded customers. Each update also renames the
// customer (the dialect's own setName laid over its realistic example), so every request really
// writes: repeating an identical body would make most updates no-ops once each customer had it.

function encode(dialect: AnyDialect, body: unknown): { readonly type: string; readonly text: string } {
  if (dialect.wire.bodies.includes('json')) return { type: 'application/json', text: JSON.stringify(body) };
  return { type: 'application/x-www-form-urlencoded', text: qs.stringify(body, { encodeValuesOnly: true }) };
}

function pathOf(dialect: AnyDialect, index: number): string {
  const ref = fixturesOf(dialect).ref(customerIds(index));
  return `${dialect.routes.prefix}${dialect.routes.collection}/${encodeURIComponent(ref)}`;
}

export function updateWorkload(dialect: AnyDialect, credentials: IssuedCredentials, customers: number, seed: number): Workload {
  const random = prng(seed);
  const ex = fixturesOf(dialect);
  let counter = 0;
  const bodyFor = (n: number) => encode(dialect, deepMerge(ex.update, ex.setName(`Jenny Rosen ${seed}-${n}`)));
  const first = bodyFor(counter);
  return {
    method: dialect.routes.update,
    path: pathOf(dialect, 0),
    headers: { ...ex.auth(credentials), 'content-type': first.type },
    body: first.text,
    next: () => ({ path: pathOf(dialect, Math.floor(random() * customers)), body: bodyFor(++counter).text }),
  };
}

export function retrieveWorkload(dialect: AnyDialect, credentials: IssuedCredentials, customers: number, seed: number): Workload {
  const random = prng(seed);
  return {
    method: 'GET',
    path: pathOf(dialect, 0),
    headers: fixturesOf(dialect).auth(credentials),
    next: () => ({ path: pathOf(dialect, Math.floor(random() * customers)) }),
  };
}

export const helloWorkload: Workload = { method: 'GET', path: '/', headers: {} };
