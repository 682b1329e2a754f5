import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { createTenant } from './support/registered.ts';
import { testEnv } from './support/gateway.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// A request whose headers pass Node's limit (16 KiB) is refused by Node's HTTP parser before the
// app runs. Its 431 comes in the envelope of the dialect the request line names, as every other
// refusal does, and the connection is closed. Raw sockets: no HTTP client sends such a head apart.

interface Answer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: unknown;
}

/** Every answer on the connection, in order, read until the server closes it. */
function exchange(port: number, parts: readonly string[]): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    // The rest of an oversized head may meet a connection already closed.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error),
    );
    socket.on('close', () => resolve(answers(text)));
    void (async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50)); // a read of its own on the server
        if (!socket.writable) return;
        socket.write(part);
      }
    })();
  });
}

function answers(text: string): Answer[] {
  const out: Answer[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const lines = rest.slice(0, end).split('\r\n');
    const headers = new Map(
      lines.slice(1).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers.get('content-length') ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    out.push({ status: Number(lines[0]?.split(' ')[1]), headers, body: body === '' ? undefined : JSON.parse(body) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

const big = `X-Big: ${'a'.repeat(17 * 1024)}\r\n`;
const head = (line: string, ...headers: string[]) => `${line}\r\nHost: x\r\n${headers.join('')}`;

describe.skipIf(testBackend() !== 'sqlite')('Node’s parser refusals', () => {
  let gateway: NodeGateway;
  let key: string;
  beforeAll(async () => {
    const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_DELIVERY_THREAD: 'off' };
    gateway = await startNode(env, { port: 0 });
    key = (await createTenant(gateway.store, loadConfig(env), 'headers')).credentials.wooshpay!.secret_key!;
  });
  afterAll(async () => {
    await gateway.close();
  });

  describe('a head over Node’s limit', () => {
    it('is answered 431 in a Stripe-like dialect’s envelope, under its prefix and at its root, and closed', async () => {
      for (const path of ['/wooshpay/v1/customers/cus_1', '/v1/customers?limit=3']) {
        const [answer, ...more] = await exchange(gateway.port, [`${head(`GET ${path} HTTP/1.1`, big)}\r\n`]);
        expect(answer?.status, path).toBe(431);
        expect(answer?.headers.get('connection')).toBe('close');
        expect(answer?.headers.get('content-type')).toBe('application/json');
        expect(answer?.body).toEqual({
          error: { type: 'invalid_request_error', message: expect.stringContaining(`${maxHeaderSize} bytes`) },
        });
        expect(more).toEqual([]);
      }
    });

    it('is answered in Zenskar’s FastAPI envelope, at the root path it shares when its key header came first', async () => {
      for (const [path, headers] of [
        ['/zenskar/customers', [big]],
        ['/customers/abc', ['x-api-key: zk_1\r\n', big]],
      ] as const) {
        const [answer] = await exchange(gateway.port, [`${head(`PATCH ${path} HTTP/1.1`, ...headers)}\r\n`]);
        expect(answer?.status, path).toBe(431);
        expect(answer?.body, path).toEqual({ detail: 'Request Header Fields Too Large' });
      }
    });

    it('is answered in Connhex’s envelope at the root path it shares, by its Authorization header', async () => {
      const [answer] = await exchange(gateway.port, [`${head('POST /customers/cus_1 HTTP/1.1', 'Authorization: Bearer x\r\n', big)}\r\n`]);
      expect(answer?.status).toBe(431);
      expect(answer?.body).toMatchObject({ error: { type: 'invalid_request_error' } });
    });

    it('is answered in the gateway’s envelope on the gateway’s API and on a path no dialect serves', async () => {
      for (const path of ['/gateway/v1/customers', '/nowhere']) {
        const [answer] = await exchange(gateway.port, [`${head(`GET ${path} HTTP/1.1`, big)}\r\n`]);
        expect(answer?.status, path).toBe(431);
        expect(answer?.body, path).toEqual({
          error: { code: 'headers_too_large', message: expect.stringContaining('Request Header Fields Too Large') },
        });
      }
    });

    it('is told by its request line when the head comes in several reads', async () => {
      const [answer] = await exchange(gateway.port, [
        'GET /zenskar/cust',
        'omers HTTP/1.1\r\nHost: x\r\nX-Big: aaa',
        'a'.repeat(8 * 1024),
        `${'a'.repeat(9 * 1024)}\r\n\r\n`,
      ]);
      expect(answer?.status).toBe(431);
      expect(answer?.body).toEqual({ detail: 'Request Header Fields Too Large' });
    });

    it('is told by its path where the target itself passes the limit', async () => {
      const [answer] = await exchange(gateway.port, [`${head(`GET /wooshpay/v1/customers?email=${'a'.repeat(17 * 1024)} HTTP/1.1`)}\r\n`]);
      expect(answer?.status).toBe(431);
      expect(answer?.body).toMatchObject({ error: { type: 'invalid_request_error' } });
    });

    it('is refused one byte past the limit, in the envelope, where one byte less reaches the app', async () => {
      // Node counts the target and the header names and values; found here, not assumed.
      const request = (n: number) =>
        `${head('GET /wooshpay/v1/customers/cus_none HTTP/1.1', 'Connection: close\r\n', `X-Pad: ${'a'.repeat(n)}\r\n`)}\r\n`;
      const status = async (n: number) => (await exchange(gateway.port, [request(n)]))[0];
      let [fits, over] = [maxHeaderSize - 1024, maxHeaderSize];
      while (over - fits > 1) {
        const mid = (fits + over) >> 1;
        if ((await status(mid))?.status === 431) over = mid;
        else fits = mid;
      }
      // The app's answer: no credential, in Wooshpay's envelope.
      expect(await status(fits)).toMatchObject({ status: 401, body: { error: { type: 'invalid_request_error' } } });
      expect(await status(over)).toMatchObject({ status: 431, body: { error: { type: 'invalid_request_error' } } });
    });

    it('is refused on a kept-alive connection after a request answered on it', async () => {
      const socket = connect(gateway.port, '127.0.0.1');
      let text = '';
      const more = (count: number) =>
        new Promise<void>((resolve) => {
          const check = () => (answers(text).length >= count ? resolve() : socket.once('data', check));
          socket.on('data', (chunk: Buffer) => {
            text += chunk.toString('latin1');
          });
          check();
        });
      socket.write(`${head('GET /gateway/v1/health HTTP/1.1')}\r\n`);
      await more(1);
      socket.on('error', () => undefined);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(`${head('GET /zenskar/customers HTTP/1.1', big)}\r\n`);
      await closed;
      expect(answers(text).map((a) => [a.status, a.body])).toEqual([
        [200, { status: 'ok' }],
        [431, { detail: 'Request Header Fields Too Large' }],
      ]);
    });

    it('is answered at once in its dialect’s envelope when it is the trailers of a chunked body', async () => {
      const body = `3\r\nabc\r\n0\r\nX-Trailer: ${'a'.repeat(17 * 1024)}\r\n\r\n`;
      const [answer, ...more] = await exchange(gateway.port, [
        `${head('POST /wooshpay/v1/customers HTTP/1.1', `Authorization: Bearer ${key}\r\n`, 'Transfer-Encoding: chunked\r\n')}\r\n${body}`,
      ]);
      expect(answer).toMatchObject({ status: 431, body: { error: { type: 'invalid_request_error' } } });
      expect(more).toEqual([]);
    });

    it('answers the requests pipelined before it first, then refuses it and closes', async () => {
      const ok = head('GET /gateway/v1/health HTTP/1.1');
      const got = await exchange(gateway.port, [`${ok}\r\n${ok}\r\n${head('GET /zenskar/customers HTTP/1.1', big)}\r\n${ok}\r\n`]);
      expect(got.map((a) => a.status)).toEqual([200, 200, 431]);
      expect(got[2]?.body).toEqual({ detail: 'Request Header Fields Too Large' });
    });
  });

  // Node answers any other request it cannot parse with a bare 400 (413 for chunk extensions over its
  // limit), unlike every other refusal: now in the same envelope as the 431, by the same request line.
  describe('a request Node’s parser refuses otherwise', () => {
    const badHeader = 'Bad Header\r\n';

    it('is answered 400 in the envelope of the dialect its path names, and closed', async () => {
      for (const [line, body] of [
        ['GET /v1/customers HTTP/1.1', { error: { type: 'invalid_request_error', message: expect.stringContaining('Bad Request') } }],
        ['PATCH /zenskar/customers/abc HTTP/1.1', { detail: 'Bad Request' }],
        ['PUT /api/customers/1 HTTP/1.1', { statusCode: 400, error: 'Bad Request', message: expect.stringContaining('Bad Request') }],
        ['GET /meteroid/api/v1/customers HTTP/1.1', { code: 'BAD_REQUEST', message: expect.stringContaining('Bad Request') }],
      ] as const) {
        const [answer, ...more] = await exchange(gateway.port, [`${head(line, badHeader)}\r\n`]);
        expect(answer?.status, line).toBe(400);
        expect(answer?.headers.get('connection')).toBe('close');
        expect(answer?.headers.get('content-type')).toBe('application/json');
        expect(answer?.body, line).toEqual(body);
        expect(more).toEqual([]);
      }
    });

    it('is answered in the gateway’s envelope off the dialects’ paths, and where the request line is itself malformed', async () => {
      for (const request of [
        `${head('GET /gateway/v1/health HTTP/1.1', badHeader)}\r\n`,
        'GARBAGE\r\n\r\n',
        // A target where the method goes: no request line, so no path to read.
        '/v1/customers GET HTTP/1.1\r\n\r\n',
      ]) {
        const [answer] = await exchange(gateway.port, [request]);
        expect(answer?.status, request).toBe(400);
        expect(answer?.body, request).toEqual({ error: { code: 'malformed_request', message: expect.stringContaining('Bad Request') } });
      }
    });

    it('is answered in its own request’s envelope where its chunked body is malformed, and 413 for chunk extensions over the limit', async () => {
      const post = head('POST /wooshpay/v1/customers HTTP/1.1', `Authorization: Bearer ${key}\r\n`, 'Transfer-Encoding: chunked\r\n');
      const [bad] = await exchange(gateway.port, [`${post}\r\nzz\r\nabc\r\n0\r\n\r\n`]);
      expect(bad).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error' } } });
      const [large] = await exchange(gateway.port, [`${post}\r\n3;ext=${'a'.repeat(17 * 1024)}\r\nabc\r\n0\r\n\r\n`]);
      expect(large).toMatchObject({ status: 413, body: { error: { type: 'invalid_request_error', code: 'request_too_large' } } });
      expect(large?.headers.get('connection')).toBe('close');
    });

    it('answers the requests pipelined before it first, then refuses it and closes', async () => {
      const ok = head('GET /gateway/v1/health HTTP/1.1');
      const got = await exchange(gateway.port, [`${ok}\r\n${ok}\r\n${head('GET /zenskar/customers HTTP/1.1', badHeader)}\r\n${ok}\r\n`]);
      expect(got.map((a) => [a.status, a.body])).toEqual([
        [200, { status: 'ok' }],
        [200, { status: 'ok' }],
        [400, { detail: 'Bad Request' }],
      ]);
    });
  });
});
