import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createApp } from '../src/entries/registered.ts';
import { loadConfig } from '../src/config.ts';
import { SqliteExecutor } from '../src/store/sqlite.ts';
import { Store } from '../src/store/index.ts';
import { exportData } from '../src/store/transfer.ts';
import { createTenant } from '../src/entries/registered.ts';

// A large `custgate export` file for measuring import (docs/operations.md): one tenant and N
// customers, each a copy of one real customer with its own ids.
// Usage: npx tsx bench/generate-export.ts <file> [customers=1000000]

const [file, countArg] = process.argv.slice(2);
if (!file) throw new Error('usage: generate-export.ts <file> [customers]');
const count = Number(countArg ?? 1_000_000);

const executor = new SqliteExecutor({ path: ':memory:' });
await executor.migrate();
const store = new Store(executor);
const config = loadConfig({ NODE_ENV: 'development' });
const created = await createTenant(store, config, 'bulk');
const app = createApp({ store, config, logger: { error: () => undefined } });
const res = await app.request('/v1/customers', {
  method: 'POST',
  headers: { authorization: `Bearer ${created.credentials.wooshpay?.secret_key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'Jenny Rosen', email: 'jenny@example.com', phone: '+15555550100', metadata: { plan: 'pro' } }),
});
if (res.status !== 200) throw new Error(`seed customer: ${res.status}`);

const lines: string[] = [];
await exportData(
  store,
  (line) => {
    lines.push(line);
  },
  { withKeys: true },
);
const template = lines.find((l) => l.includes('"table":"customers"'));
if (!template) throw new Error('no customer in the seed export');
const row = (JSON.parse(template) as { row: Record<string, unknown> }).row;

const out = createWriteStream(file);
const write = async (line: string) => {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
};
for (const line of lines) if (!line.includes('"table":"customers"') && !line.includes('"table":"customer_events"')) await write(line);
for (let i = 1; i <= count; i++) {
  const hex = i.toString(16).padStart(12, '0');
  await write(
    JSON.stringify({
      table: 'customers',
      row: { ...row, id: `00000000-0000-4000-8000-${hex}`, public_id: `cus_${hex.padStart(14, '0')}`, number: i },
    }),
  );
}
out.end();
await once(out, 'finish');
console.error(`wrote ${file}: ${count} customers`);
