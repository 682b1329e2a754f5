import qs from 'qs';
import { fixturesOf } from '../dialects/index.ts';
import type { AnyDialect, IssuedCredentials } from '../src/contract/dialect.ts';
import { customerIds, deepMerge, prng } from './fixtures.ts';
import type { Workload } from './load.ts';
import { twinUpdates } from './twins.ts';

// Requests are spread uniformly over the pre-loaded customers. Each update renames the customer
// (the dialect's own setName) and sends one of two bodies that differ in every field (its fixtures'
// realistic example and bench/twins.ts), the other one than that customer was last sent, so every
// request changes every field it sends, at any store size: repeating one body would make all but
// the name a no-op once a customer had it, which a small store reaches within a second and a large
// one never.

function encode(dialect: AnyDialect, body: unknown): { readonly type: string; readonly text: string } {
  if (dialect.wire.bodies.includes('json')) return { type: 'application/json', text: JSON.stringify(body) };
  return { type: 'application/x-www-form-urlencoded', text: qs.stringify(body, { encodeValuesOnly: true }) };
}

function pathOf(dialect: AnyDialect, index: number): string {
  const ref = fixturesOf(dialect).ref(customerIds(index));
  return `${dialect.routes.prefix}${dialect.routes.collection}/${encodeURIComponent(ref)}`;
}

// Which of the two bodies each customer of a store was sent last, kept across workloads (a warm-up
// and its measured row are two) and keyed by the store's credentials, so a row never starts by
// sending customers the body they already hold. A store it has not seen holds neither body.
const lastSent = new Map<string, Uint8Array>();

export function updateWorkload(dialect: AnyDialect, credentials: IssuedCredentials, customers: number, seed: number): Workload {
  const random = prng(seed);
  const ex = fixturesOf(dialect);
  const twin: unknown = (twinUpdates as Record<string, unknown>)[dialect.name];
  const bodies = [ex.update, twin === undefined ? ex.update : deepMerge(ex.update, twin)] as const;
  const key = `${dialect.name} ${customers} ${JSON.stringify(credentials)}`;
  const sent = lastSent.get(key) ?? new Uint8Array(customers);
  lastSent.set(key, sent);
  let counter = 0;
  const bodyFor = (n: number, index: number) => {
    const which = sent[index] ?? 0;
    sent[index] = which ^ 1;
    return encode(dialect, deepMerge(bodies[which], ex.setName(`Jenny Rosen ${seed}-${n}`)));
  };
  const first = bodyFor(counter, 0);
  return {
    method: dialect.routes.update,
    path: pathOf(dialect, 0),
    headers: { ...ex.auth(credentials), 'content-type': first.type },
    body: first.text,
    next: () => {
      const index = Math.floor(random() * customers);
      return { path: pathOf(dialect, index), body: bodyFor(++counter, index).text };
    },
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
