// The ceiling of our HTTP stack: bare Hono on @hono/node-server, the same runtime custgate uses,
// answering a constant text. Prints its port as one JSON line.

import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('Hello World!'));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
