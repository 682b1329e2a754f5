import { createServer, type RequestListener, type Server } from 'node:http';
import { afterAll, beforeAll } from 'vitest';

/** A provider on a local port answering with `handler`: up before the file's tests, closed after. */
export function localProvider(handler: RequestListener): { readonly base: string } {
  const started = { base: '' };
  let server: Server | undefined;
  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    started.base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
  return started;
}

export interface BottomlessMeteroid {
  readonly base: string;
  /** Creates that reached it (each one's connection reset). */
  readonly creates: number;
  /** Pages of its customer list it answered. */
  readonly listed: number;
}

/**
 * A Meteroid whose create may have been committed but whose answer never arrives (the connection
 * is reset), and whose customer list never ends: pages of one other customer each, 100,000 pages.
 * Meteroid's list is `GET /api/v1/customers?page=&per_page=` with `pagination_meta`
 * (https://docs.meteroid.com/api-reference/customers/list-customers).
 */
export function bottomlessMeteroid(): BottomlessMeteroid {
  let creates = 0;
  let listed = 0;
  const started = localProvider((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider');
    if (req.method === 'POST' && url.pathname === '/api/v1/customers') {
      creates++;
      req.socket.destroy();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/customers') {
      listed++;
      const page = Number(url.searchParams.get('page') ?? '0');
      const someone = { id: `cus_someone${page}`, name: `Someone else ${page}`, currency: 'EUR' };
      const meta = { page, per_page: 1, total_items: 100_000, total_pages: 100_000 };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [someone], pagination_meta: meta }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'NOT_FOUND', message: 'not found' }));
  });
  return {
    get base() {
      return started.base;
    },
    get creates() {
      return creates;
    },
    get listed() {
      return listed;
    },
  };
}
