import { type IncomingMessage, request } from 'node:http';
import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startNode } from '../src/entries/node.ts';
import { testEnv } from './support/gateway.ts';
import { createTenant } from './support/registered.ts';
import { testStore } from './support/store.ts';

// A rolling restart: SIGTERM while a client's request is in flight on a kept-alive connection.
// Before: the answer said `Connection: keep-alive`, the client sent its next request on that
// connection, and the drain (closing connections idle between two requests every 100 ms) reset
// it: ECONNRESET or undici's "other side closed" instead of an answer or a refused connection
// (seen on PostgreSQL: 13 to 14 of ~1,200 requests a run, with 16 clients, for one process and for
// --workers 2). Now every answer made while the server drains says `Connection: close`.

describe('serve, draining', () => {
  it('an answer made while the server drains closes its kept-alive connection', async () => {
    const store = await testStore();
    const tenant = await createTenant(store, loadConfig(testEnv), 'draining');
    const gateway = await startNode(testEnv, { port: 0, store });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = 'name=Draining';
    const post = (headers: Record<string, string> = {}) =>
      request({
        host: '127.0.0.1',
        port: gateway.port,
        method: 'POST',
        path: '/v1/customers',
        agent,
        headers: {
          authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(body.length),
          ...headers,
        },
      });
    const answer = (req: ReturnType<typeof post>) =>
      new Promise<{ res: IncomingMessage; text: string }>((resolve, reject) => {
        req.once('error', reject);
        req.once('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.once('end', () => resolve({ res, text }));
        });
      });
    try {
      // Before the drain: kept alive.
      const first = post();
      const before = answer(first);
      first.end(body);
      expect((await before).res.headers.connection).toBe('keep-alive');

      // In flight when the drain starts: the server has its head (it asked for the body), not its body.
      const late = post({ expect: '100-continue' });
      const after = answer(late);
      late.flushHeaders();
      await new Promise<void>((resolve) => late.once('continue', () => resolve()));
      const closed = gateway.close();
      late.end(body);
      const { res, text } = await after;
      expect(res.statusCode, text).toBe(200);
      expect(res.headers.connection).toBe('close');
      await closed;
    } finally {
      agent.destroy();
    }
  });
});
