import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Store } from '../../src/store/index.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { jsonInit } from './gateway.ts';
import { addUpstream, createTenant } from './registered.ts';
import type { Provider } from './upstream.ts';

// A Meteroid account on a second custgate (test/support/upstream.ts), and a front in front of it
// that renders its list by page number in either order and can change the account while a walk is
// between its first and second page. Meteroid lists customers by page number
// (`?page=&per_page=`, `pagination_meta`; docs.meteroid.com, list customers) in its own default
// order newest first (`created_at.desc`); custgate's Meteroid lists oldest first.

export function meteroidAccount(provider: () => Provider) {
  const auth = () => ({ authorization: `Bearer ${provider().credentials.meteroid.api_key}` });
  const collection = () => `${provider().baseUrl('meteroid')}/api/v1/customers`;
  return {
    auth,
    collection,
    async create(name: string): Promise<string> {
      const res = await fetch(collection(), jsonInit('POST', { name, currency: 'EUR' }, auth()));
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return ((await res.json()) as { id: string }).id;
    },
    async remove(id: string): Promise<void> {
      const res = await fetch(`${collection()}/${id}`, { method: 'DELETE', headers: auth() });
      expect(res.status).toBe(204);
    },
    /** The provider's whole list, oldest first (custgate's Meteroid order). */
    async everyone(): Promise<{ id: string; name: string }[]> {
      const all: { id: string; name: string }[] = [];
      for (let page = 0; ; page++) {
        const res = await fetch(`${collection()}?page=${page}&per_page=100`, { headers: auth() });
        const body = (await res.json()) as { data: { id: string; name: string }[]; pagination_meta: { total_pages: number } };
        all.push(...body.data);
        if (page + 1 >= body.pagination_meta.total_pages) return all;
      }
    },
  };
}

export type MeteroidAccount = ReturnType<typeof meteroidAccount>;

export interface MeteroidFront {
  readonly url: string;
  /** Runs once, before the front answers the next request for page 1 (a walk between its first and second page). */
  between(during: () => Promise<void>): void;
  /** The next create is made at the provider and its answer lost (the connection reset). */
  loseNextCreate(): void;
  close(): Promise<void>;
}

/** The account's list in `order`, by page number; every other request forwarded to the provider as it is. */
export async function meteroidFront(account: MeteroidAccount, order: 'oldest' | 'newest'): Promise<MeteroidFront> {
  let during: (() => Promise<void>) | undefined;
  let lose = false;
  const forward = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host' && e[0] !== 'content-length',
      ),
    );
    const target = `${account.collection().replace(/\/api\/v1\/customers$/, '')}${url.pathname}${url.search}`;
    const answer = await fetch(target, {
      method: req.method ?? 'GET',
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = await answer.text();
    if (req.method === 'POST' && lose) {
      lose = false;
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(body);
  };
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (req.method !== 'GET' || url.pathname !== '/api/v1/customers') return forward(req, res, url);
    const page = Number(url.searchParams.get('page') ?? 0);
    const perPage = Number(url.searchParams.get('per_page') ?? 10);
    if (page === 1 && during) {
      const now = during;
      during = undefined;
      await now();
    }
    const all = await account.everyone();
    const listed = order === 'oldest' ? all : all.toReversed();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        data: listed.slice(page * perPage, (page + 1) * perPage),
        pagination_meta: { page, per_page: perPage, total_items: listed.length, total_pages: Math.ceil(listed.length / perPage) },
      }),
    );
  };
  const server: Server = createServer((req, res) => void answer(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const between = (run: () => Promise<void>) => {
    during = run;
  };
  const loseNextCreate = () => {
    lose = true;
  };
  return { url: `http://127.0.0.1:${port}`, between, loseNextCreate, close };
}

/** A tenant of the rig's gateway named `name`, with a Meteroid proxy upstream at `baseUrl` (a front). */
export async function meteroidTenant(
  rig: { readonly store: Store; readonly env: Record<string, string>; readonly provider: Provider },
  name: string,
  baseUrl: string,
): Promise<{ readonly tenantId: string; readonly upstreamId: string }> {
  const config = loadConfig(rig.env);
  const tenant = await createTenant(rig.store, config, name);
  const upstream = await addUpstream(rig.store, keyringFor(config, rig.store.upstreams), tenant.tenant.id, {
    dialect: 'meteroid',
    baseUrl,
    mode: 'proxy',
    credentials: rig.provider.credentials.meteroid,
  });
  return { tenantId: tenant.tenant.id, upstreamId: upstream.id };
}
