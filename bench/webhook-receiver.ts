// A webhook receiver in its own process for the webhook row (bench/webhooks.ts), so that the load
// generator's busy event loop does not delay the arrivals it times. It checks each event's
// Stripe-Signature with the stripe package, as a user's handler would, and keeps the first arrival
// time of each event id.
//   POST /secret  the endpoint's signing secret (the body), once the endpoint exists
//   POST /hooks   the events
//   GET  /arrivals {arrivals: [[event id, ms since the epoch]], duplicates, forged, connections}
//                  (connections: the TCP connections events came in on, which shows whether the
//                  gateway's sends reuse them)
// Prints {"port"} as one JSON line when it listens.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

const stripe = new Stripe('sk_test_bench_receiver');
const arrivals = new Map<string, number>();
let duplicates = 0;
let forged = 0;
let secret = '';
let connections = 0;
const eventSockets = new WeakSet<object>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/secret') secret = body;
    else if (req.url === '/arrivals') {
      // Closed after each answer: the bench asks again after 10 s of load from its own event loop,
      // too busy meanwhile to see this server close the idle kept-alive socket, and undici then sent
      // on the closed one ("other side closed", which ended a whole run).
      res
        .writeHead(200, { 'content-type': 'application/json', connection: 'close' })
        .end(JSON.stringify({ arrivals: [...arrivals], duplicates, forged, connections }));
      return;
    } else {
      if (!eventSockets.has(req.socket)) {
        eventSockets.add(req.socket);
        connections++;
      }
      try {
        const event = stripe.webhooks.constructEvent(body, String(req.headers['stripe-signature']), secret);
        if (arrivals.has(event.id)) duplicates++;
        else arrivals.set(event.id, at);
      } catch {
        forged++;
      }
    }
    res.writeHead(200).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
