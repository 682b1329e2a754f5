import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate, createGzip, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../src/contract/errors.ts';
import { send } from '../src/upstream/http.ts';
import { nodeTransport } from '../src/upstream/node-transport.ts';
import { fetchTransport, type Transport } from '../src/upstream/transport.ts';

// The two upstream transports (src/upstream/transport.ts): the same guarantees against real
// servers, whichever carries the call — one timeout over the whole exchange, the decoded-size
// bound on a compressed stream that never ends, Retry-After, refusal of an untrusted certificate,
// nothing of the cause in the error. Then what only the Node transport does: keep-alive reuse and
// a bound on the sockets to one origin.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function serve(handler: Handler): Promise<{ url: string; connections: () => number }> {
  const server = createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => connections };
}

const request = (overrides: Partial<Parameters<Transport>[1]> = {}): Parameters<Transport>[1] => ({
  method: 'GET',
  headers: { 'accept-encoding': 'gzip, deflate' },
  timeoutMs: 2_000,
  maxAnswerBytes: 64 * 1024,
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected a failure');
}

const transports: [string, () => Transport][] = [
  ['fetch', () => fetchTransport()],
  ['node', () => nodeTransport({ socketsPerOrigin: 4 })],
];

describe.each(transports)('the %s transport', (_name, make) => {
  it('reads a plain, a gzip and a deflate answer, with status and headers', async () => {
    const body = JSON.stringify({ id: 'cus_1', name: 'Zoë' });
    const { url } = await serve((req, res) => {
      const encoded = req.url === '/gzip' ? gzipSync(body) : req.url === '/deflate' ? deflateSync(body) : Buffer.from(body);
      const encoding = req.url === '/plain' ? {} : { 'content-encoding': req.url?.slice(1) ?? '' };
      res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.headers['accept-encoding'] ?? '', ...encoding });
      res.end(encoded);
    });
    const transport = make();
    for (const path of ['/plain', '/gzip', '/deflate']) {
      const answer = await transport(`${url}${path}`, request());
      expect(answer.status).toBe(201);
      expect(answer.text).toBe(body);
      expect(answer.header('x-seen')).toBe('gzip, deflate');
    }
  });

  it('sends the method, headers and body, and follows no redirect', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' }).end();
        return;
      }
      let got = '';
      req.on('data', (chunk: Buffer) => (got += chunk.toString()));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, key: req.headers['idempotency-key'], got })));
    });
    const transport = make();
    const answer = await transport(`${url}/x`, request({ method: 'POST', headers: { 'idempotency-key': 'k1' }, body: 'name=Zoë' }));
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', key: 'k1', got: 'name=Zoë' });
    expect((await transport(`${url}/moved`, request())).status).toBe(302);
  });

  it('gives a 503 its Retry-After through send()', async () => {
    const { url } = await serve((_req, res) =>
      res.writeHead(503, { 'retry-after': '7', 'content-type': 'application/json' }).end('{"error":{}}'),
    );
    const answer = await send(url, { method: 'GET', path: '/v1/customers/cus_1', headers: {} }, { timeoutMs: 2_000, transport: make() });
    expect(answer).toMatchObject({ status: 503, retryAfterSeconds: 7, body: { error: {} } });
  });

  it('times out an answer that trickles, the whole exchange within one bound', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    });
    const error = await failure(make()(url, request({ timeoutMs: 400 })));
    expect(error.code).toBe('upstream_timeout');
  });

  it('ends at the caller’s abort as at the timeout', async () => {
    const { url } = await serve(() => undefined);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const error = await failure(make()(url, request({ timeoutMs: 30_000, signal: abort.signal })));
    expect(error.code).toBe('upstream_timeout');
  });

  it('cuts a gzip stream that never ends off at the decoded bound', async () => {
    let closed = false;
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      const zeros = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!closed && gzip.write(zeros));
        if (!closed) gzip.once('drain', pump);
      };
      res.on('close', () => {
        closed = true;
        gzip.destroy();
      });
      pump();
    });
    const error = await failure(make()(url, request({ timeoutMs: 20_000, maxAnswerBytes: 256 * 1024 })));
    expect(error.code).toBe('bad_gateway');
    expect(error.message).toBe('The upstream provider answered with more than a customer.');
  });

  it('cuts a deflate stream at the bound, and refuses a declared length over it unread', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': String(1024 * 1024) });
        res.write('{');
        return;
      }
      res.writeHead(200, { 'content-encoding': 'deflate' });
      const deflate = createDeflate();
      deflate.pipe(res);
      deflate.end(Buffer.alloc(4 * 1024 * 1024, 0x20));
    });
    const transport = make();
    expect((await failure(transport(`${url}/declared`, request()))).code).toBe('bad_gateway');
    expect((await failure(transport(`${url}/deflate`, request()))).code).toBe('bad_gateway');
  });

  it('says a header it cannot send is unavailable, and sends nothing', async () => {
    let handled = 0;
    const { url } = await serve((_req, res) => {
      handled++;
      res.end('{}');
    });
    const error = await failure(make()(url, request({ headers: { authorization: 'Bearer sk_x\r\nx-injected: 1' } })));
    expect(error.code).toBe('upstream_unavailable');
    expect(handled).toBe(0);
  });

  it('says an answer cut off mid-body is unavailable, before the timeout', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"id":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await failure(make()(url, request({ timeoutMs: 10_000 })));
    expect(error.code).toBe('upstream_unavailable');
  });

  it('says a refused connection is unavailable, naming neither host nor cause', async () => {
    const { url } = await serve(() => undefined);
    const closed = servers.pop();
    await new Promise<void>((resolve) => closed?.close(() => resolve()));
    const error = await failure(make()(url, request()));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toBe('The upstream provider could not be reached.');
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custgate-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    let handled = 0;
    const server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      handled++;
      res.end('{}');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const error = await failure(make()(`https://127.0.0.1:${port}/v1/customers`, request()));
    expect(error.code).toBe('upstream_unavailable');
    expect(handled).toBe(0);
  });
});

describe('the node transport’s connections', () => {
  const transport = nodeTransport({ socketsPerOrigin: 2 });

  it('keeps one connection alive across sequential calls', async () => {
    const server = await serve((_req, res) => res.end('{}'));
    for (let i = 0; i < 6; i++) expect((await transport(server.url, request())).status).toBe(200);
    expect(server.connections()).toBe(1);
  });

  it('opens at most socketsPerOrigin connections to one origin, the rest waiting their turn', async () => {
    const server = await serve((_req, res) => setTimeout(() => res.end('{"ok":true}'), 30));
    const answers = await Promise.all(Array.from({ length: 12 }, () => transport(server.url, request())));
    expect(answers.map((a) => a.text)).toEqual(Array(12).fill('{"ok":true}'));
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('counts the wait for a free socket inside the timeout', async () => {
    // One socket, held by a first call the server does not answer until the second has ended.
    const one = nodeTransport({ socketsPerOrigin: 1 });
    const held: ServerResponse[] = [];
    const server = await serve((_req, res) => held.push(res));
    const first = one(server.url, request({ timeoutMs: 30_000 }));
    while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
    const waiting = await failure(one(server.url, request({ timeoutMs: 200 })));
    expect(waiting.code).toBe('upstream_timeout');
    expect(held).toHaveLength(1);
    for (const res of held) res.end('{}');
    expect((await first).status).toBe(200);
    expect(one.socketsPerOrigin).toBe(1);
  });

  it('sends a repeatable request again when its kept socket turns out closed, and nothing else', async () => {
    const seen = new WeakMap<object, number>();
    let handled = 0;
    // A server that closed a kept socket just as the next request went out on it: it answers the
    // first request of each connection and drops the connection at the second.
    const server = await serve((req, res) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      handled++;
      res.end(JSON.stringify({ url: req.url }));
    });
    expect((await transport(`${server.url}/a`, request())).status).toBe(200);
    const again = await transport(`${server.url}/b`, request({ method: 'PUT', body: '{}' }));
    expect(JSON.parse(again.text)).toEqual({ url: '/b' });
    // A POST without an Idempotency-Key may have been acted on: it is not sent twice.
    const post = await failure(transport(`${server.url}/c`, request({ method: 'POST', body: '{}' })));
    expect(post.code).toBe('upstream_unavailable');
    expect(handled).toBe(2);
  });
});
