import { fork } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { ClientRequest } from '../src/contract/dialect.ts';
import { send } from '../src/upstream/http.ts';
import { nodeTransport } from '../src/upstream/node-transport.ts';
import { fetchTransport, type Transport } from '../src/upstream/transport.ts';

// The upstream send alone, the two transports alternated in one process (issue #27): CPU per call
// (process.cpuUsage, every thread of this process; the provider is another process) and the event
// loop's delay over each window, for the calls a drain makes (8 in flight, a ~1.5 KB JSON answer,
// a form body out). Usage: npx tsx bench/transport-ab.ts [calls per window] [pairs]
// Prints one line per window and the medians; figures in docs/performance.md ("The upstream transport").

const calls = Number(process.argv[2] ?? 3000);
const pairs = Number(process.argv[3] ?? 4);
const inFlight = 8;

const providerSource = `
const http = require('node:http');
const answer = JSON.stringify({ id: 'cus_abc123', object: 'customer', name: 'Ada Lovelace', email: 'ada@example.com',
  address: { line1: '1 Analytical Way', line2: null, city: 'London', state: null, postal_code: 'N1 1AA', country: 'GB' },
  metadata: Object.fromEntries(Array.from({ length: 20 }, (_, i) => ['key_' + i, 'value number ' + i])),
  created: 1733400000, livemode: false, balance: 0, currency: 'gbp', delinquent: false, description: 'x'.repeat(400) });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
`;

const provider = fork('-e', [providerSource], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
provider.on('error', () => undefined);
const port = await new Promise<number>((resolve) => provider.once('message', (m) => resolve(Number(m))));
const base = `http://127.0.0.1:${port}`;
const body = new URLSearchParams({ name: 'Ada Lovelace', email: 'ada@example.com', 'metadata[source]': 'custgate' }).toString();
const request: ClientRequest = {
  method: 'POST',
  path: '/v1/customers/cus_abc123',
  headers: { authorization: 'Basic c2tfdGVzdF94eHg6', 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'k' },
  body,
};

async function window(transport: Transport, n: number) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  delay.enable();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < n) await send(base, request, { timeoutMs: 10_000, transport, headers: { via: '1.1 custgate-bench' } });
    }),
  );
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuUs: (cpu.user + cpu.system) / n,
    p99: delay.percentile(99) / 1e6,
    max: delay.max / 1e6,
    utilization: performance.eventLoopUtilization(elu0).utilization,
    perSecond: n / ((performance.now() - t0) / 1000),
  };
}

const made: Record<string, Transport> = { fetch: fetchTransport(), node: nodeTransport({ socketsPerOrigin: 16 }) };
for (const t of Object.values(made)) await window(t, 500);
const rows: Record<string, Awaited<ReturnType<typeof window>>[]> = { fetch: [], node: [] };
for (let i = 0; i < pairs; i++) {
  for (const name of i % 2 === 0 ? ['fetch', 'node'] : ['node', 'fetch']) {
    const r = await window(made[name] as Transport, calls);
    rows[name]?.push(r);
    console.log(
      `${name.padEnd(5)} ${r.cpuUs.toFixed(0).padStart(5)} µs CPU/call  loop delay p99 ${r.p99.toFixed(2)} ms max ${r.max.toFixed(2)} ms  utilization ${r.utilization.toFixed(2)}  ${r.perSecond.toFixed(0)}/s`,
    );
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
for (const [name, list] of Object.entries(rows)) {
  console.log(
    `median ${name}: ${median(list.map((r) => r.cpuUs)).toFixed(0)} µs CPU/call, loop delay p99 ${median(list.map((r) => r.p99)).toFixed(2)} ms, max ${median(list.map((r) => r.max)).toFixed(2)} ms`,
  );
}
provider.kill();
process.exit(0);
