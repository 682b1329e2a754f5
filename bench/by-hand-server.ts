// The same work custgate does for a Wooshpay retrieve and update, written by hand on the same
// stack (Hono, @hono/node-server, better-sqlite3 or pg, qs): a cached key lookup, one point read
// of the customer's JSON, a merge, a versioned write and the ~2 KB customer rendered back. It is
// the baseline custgate's rows are compared with (issue #30), so it does nothing custgate's
// design would not let it skip: no validation beyond what the merge needs, no events, no
// idempotency, no access log.
//
// Usage: node --import tsx bench/by-hand-server.ts <customers> sqlite <file> <normal|full>
//        node --import tsx bench/by-hand-server.ts <customers> postgres <url> <schema>
// It preloads <customers> customers with the bench's ids, then prints {"port"} as one JSON line.
// The key it accepts is BENCH_BY_HAND_KEY's (HTTP Basic, as the Wooshpay workload sends it).

import { createHash } from 'node:crypto';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import pg from 'pg';
import qs from 'qs';
import { customerIds } from './fixtures.ts';

interface Stored {
  readonly version: number;
  readonly data: string;
}

interface ByHandStore {
  key(hash: string): Promise<string | undefined>;
  read(tenant: string, id: string): Promise<Stored | undefined>;
  /** The compare-and-set: false when another writer got there first. */
  write(tenant: string, id: string, version: number, data: string): Promise<boolean>;
}

const [customersArg = '1000', backend = 'sqlite', where = ':memory:', mode = 'full'] = process.argv.slice(2);
const customers = Number(customersArg);
const secret = process.env.BENCH_BY_HAND_KEY ?? 'sk_test_byhandbaseline000000000';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const tenant = 'tenant_by_hand';

/** A realistic Stripe customer of about 2 KB, as custgate renders the bench's customers. */
function customer(index: number): Record<string, unknown> {
  const ids = customerIds(index);
  return {
    id: ids.public_id,
    object: 'customer',
    address: { city: 'San Francisco', country: 'US', line1: '510 Townsend St', line2: 'Suite 400', postal_code: '94103', state: 'CA' },
    balance: 0,
    created: 1_700_000_000 + index,
    currency: 'usd',
    default_source: null,
    delinquent: false,
    description: 'A customer preloaded for the benchmark, with a realistic amount of data in it.',
    discount: null,
    email: `jenny.rosen.${index}@example.com`,
    invoice_prefix: 'JENNY42',
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: { order_id: `6735-${index}`, plan: 'gold', region: 'emea', source: 'bench', tier: 'enterprise' },
    name: `Jenny Rosen ${index}`,
    next_invoice_sequence: 1,
    phone: '+14155550123',
    preferred_locales: ['en', 'de'],
    shipping: {
      address: { city: 'Berlin', country: 'DE', line1: 'Friedrichstraße 123', line2: 'Hinterhaus', postal_code: '10117', state: 'BE' },
      name: 'Jenny Rosen',
      phone: '+4930123456',
    },
    tax_exempt: 'none',
    test_clock: null,
  };
}

function sqliteStore(file: string, synchronous: string): ByHandStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.exec(`create table if not exists keys (hash text primary key, tenant text not null);
    create table if not exists customers (tenant text not null, id text not null, version integer not null, data text not null, primary key (tenant, id))`);
  db.prepare('insert or replace into keys values (?, ?)').run(sha256(secret), tenant);
  const insert = db.prepare('insert or replace into customers values (?, ?, 1, ?)');
  db.transaction(() => {
    for (let i = 0; i < customers; i++) insert.run(tenant, customerIds(i).public_id, JSON.stringify(customer(i)));
  })();
  const key = db.prepare<[string], { tenant: string }>('select tenant from keys where hash = ?');
  const read = db.prepare<[string, string], Stored>('select version, data from customers where tenant = ? and id = ?');
  const write = db.prepare('update customers set data = ?, version = version + 1 where tenant = ? and id = ? and version = ?');
  return {
    key: async (hash) => key.get(hash)?.tenant,
    read: async (t, id) => read.get(t, id),
    write: async (t, id, version, data) => write.run(data, t, id, version).changes === 1,
  };
}

async function postgresStore(url: string, schema: string): Promise<ByHandStore> {
  const pool = new pg.Pool({ connectionString: url, max: 8, options: `-c search_path=${schema}` });
  await pool.query(`create schema if not exists ${schema}`);
  await pool.query(`create table if not exists keys (hash text primary key, tenant text not null);
    create table if not exists customers (tenant text not null, id text not null, version integer not null, data jsonb not null, primary key (tenant, id))`);
  await pool.query('insert into keys values ($1, $2) on conflict (hash) do nothing', [sha256(secret), tenant]);
  for (let start = 0; start < customers; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, customers - start) }, (_, k) => start + k);
    await pool.query(
      'insert into customers select $1, id, 1, data::jsonb from unnest($2::text[], $3::text[]) as t(id, data) on conflict do nothing',
      [tenant, batch.map((i) => customerIds(i).public_id), batch.map((i) => JSON.stringify(customer(i)))],
    );
  }
  return {
    key: async (hash) => (await pool.query<{ tenant: string }>('select tenant from keys where hash = $1', [hash])).rows[0]?.tenant,
    read: async (t, id) => {
      const row = (
        await pool.query<{ version: number; data: string }>('select version, data::text from customers where tenant = $1 and id = $2', [
          t,
          id,
        ])
      ).rows[0];
      return row;
    },
    write: async (t, id, version, data) =>
      ((
        await pool.query('update customers set data = $1::jsonb, version = version + 1 where tenant = $2 and id = $3 and version = $4', [
          data,
          t,
          id,
          version,
        ])
      ).rowCount ?? 0) === 1,
  };
}

const store = backend === 'postgres' ? await postgresStore(where, mode) : sqliteStore(where, mode);
const tenants = new Map<string, string>();

async function authenticate(header: string | undefined): Promise<string | undefined> {
  if (!header) return undefined;
  const cached = tenants.get(header);
  if (cached) return cached;
  const user = header.startsWith('Basic ') ? atob(header.slice(6)).split(':')[0] : undefined;
  const found = user ? await store.key(sha256(user)) : undefined;
  if (found) tenants.set(header, found);
  return found;
}

const unauthorized = { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } };
const missing = (id: string) => ({
  error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such customer: '${id}'` },
});

const app = new Hono();
app.get('/wooshpay/v1/customers/:id', async (c) => {
  const t = await authenticate(c.req.header('authorization'));
  if (!t) return c.json(unauthorized, 401);
  const row = await store.read(t, c.req.param('id'));
  return row ? c.body(row.data, 200, { 'content-type': 'application/json' }) : c.json(missing(c.req.param('id')), 404);
});
app.post('/wooshpay/v1/customers/:id', async (c) => {
  const t = await authenticate(c.req.header('authorization'));
  if (!t) return c.json(unauthorized, 401);
  const id = c.req.param('id');
  // Wooshpay takes JSON (its seed) and Stripe's form; the bench sends what the dialect lists first.
  const text = await c.req.text();
  const json = c.req.header('content-type')?.startsWith('application/json');
  const changes = (json ? JSON.parse(text) : qs.parse(text)) as Record<string, unknown>;
  for (;;) {
    const row = await store.read(t, id);
    if (!row) return c.json(missing(id), 404);
    const current = JSON.parse(row.data) as Record<string, unknown>;
    const next = { ...current, ...changes, metadata: { ...(current.metadata as object), ...(changes.metadata as object | undefined) } };
    const data = JSON.stringify(next);
    if (await store.write(t, id, row.version, data)) return c.body(data, 200, { 'content-type': 'application/json' });
  }
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
