import { fork } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { nodeTransport } from '../src/upstream/node-transport.ts';
import { OriginGate } from '../src/webhooks/origin-gate.ts';

// Webhook-shaped sends (rounds of 128 POSTs launched at once, answers discarded, as
// src/webhooks/dispatcher.ts sends a round) over the Node transport (16 sockets per origin), with
// the dispatcher's OriginGate (16) in front, as before the tenth round, and without it, as now:
// alternated in one process; CPU per send (this process; the receiver is another).
// Usage: npx tsx bench/webhook-gate-ab.ts [rounds per window] [pairs]. Figures: docs/performance.md.
const rounds = Number(process.argv[2] ?? 25);
const pairs = Number(process.argv[3] ?? 4);
const providerSource = `
const http = require('node:http');
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('ok')); });
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
`;
const provider = fork('-e', [providerSource], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) => provider.once('message', (m) => resolve(Number(m))));
const url = `http://127.0.0.1:${port}/hooks`;
const transport = nodeTransport({ socketsPerOrigin: 16 });
const payload = JSON.stringify({ id: 'evt_x', object: 'event', data: { object: { id: 'cus_x', name: 'y'.repeat(1200) } } });
const post = () =>
  transport(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' },
    body: payload,
    timeoutMs: 10_000,
    maxAnswerBytes: 0,
    discardAnswer: true,
  });
async function window(gated: boolean) {
  const gate = new OriginGate(16);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  delay.enable();
  for (let r = 0; r < rounds; r++) await Promise.all(Array.from({ length: 128 }, () => (gated ? gate.run(url, post) : post())));
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  const n = rounds * 128;
  return { cpuUs: (cpu.user + cpu.system) / n, p99: delay.percentile(99) / 1e6, perSecond: n / ((performance.now() - t0) / 1000) };
}
await window(true);
await window(false);
const rows: Record<string, number[]> = { gate: [], agent: [] };
for (let i = 0; i < pairs; i++) {
  for (const gated of i % 2 === 0 ? [true, false] : [false, true]) {
    const r = await window(gated);
    const name = gated ? 'gate' : 'agent';
    rows[name]?.push(r.cpuUs);
    console.log(
      `${name.padEnd(5)} ${r.cpuUs.toFixed(0).padStart(5)} µs CPU/send  loop delay p99 ${r.p99.toFixed(2)} ms  ${r.perSecond.toFixed(0)}/s`,
    );
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
for (const [name, v] of Object.entries(rows)) console.log(`median ${name}: ${median(v).toFixed(0)} µs CPU/send`);
provider.kill();
process.exit(0);
