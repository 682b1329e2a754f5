import { beforeAll, expect } from 'vitest';
import type { DialectName } from '../../dialects/index.ts';
import { loadConfig } from '../../src/config.ts';
import { processHolder } from '../../src/upstream/process-holder.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { jsonInit } from './gateway.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './registered.ts';
import { fillBook, providerRig, switchableProxy } from './upstream.ts';

// An upstream's import driven as a client drives it: POST …/import, then GET it until it stops.

export interface ImportState {
  readonly state: string;
  readonly error?: string;
}

/** The import of an upstream of the tenant whose key is in `headers`, on `app`. */
export function importOverHttp(app: Pick<GatewayApp, 'request'>, headers: Record<string, string>) {
  const path = (id: string) => `/gateway/v1/upstreams/${id}/import`;
  /** Its state now. */
  const job = async <T extends ImportState>(id: string): Promise<T> => (await (await app.request(path(id), { headers })).json()) as T;
  /** Started (or resumed), then read until it is no longer running: done or failed. */
  const ended = async <T extends ImportState>(id: string): Promise<T> => {
    expect((await app.request(path(id), jsonInit('POST', {}, headers))).status).toBe(202);
    let now = await job<T>(id);
    for (let i = 0; i < 1200 && now.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await job<T>(id);
    }
    return now;
  };
  return { job, ended };
}

/**
 * A provider process holding `book` customers (made through its Wooshpay API, named by `name`),
 * this gateway in this process on its own store, and tenants of it that import from the provider
 * through proxy upstreams (registered with beforeAll/afterAll where it is called).
 */
export function importRig(book: number, name: (i: number) => string) {
  const rig = providerRig();
  let app: GatewayApp | undefined;
  let ids: readonly string[] = [];
  beforeAll(async () => {
    app = createApp({ store: rig.store, config: loadConfig(rig.env), logger: { error: () => undefined }, importHolder: processHolder() });
    ids = await fillBook(rig.provider, book, (i) => ({ name: name(i) }));
  }, 120_000);
  const appOf = () => {
    if (!app) throw new Error('the app is made in beforeAll');
    return app;
  };
  /** A tenant, with its Wooshpay key: proxy upstreams added to it, removed, and imported over HTTP. */
  const tenant = async (tenantName: string) => {
    const config = loadConfig(rig.env);
    const created = await createTenant(rig.store, config, tenantName);
    const headers = { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` };
    const add = (dialect: DialectName, baseUrl: string) =>
      addUpstream(rig.store, keyringFor(config, rig.store.upstreams), created.tenant.id, {
        dialect,
        baseUrl,
        mode: 'proxy',
        credentials: rig.provider.credentials[dialect],
      });
    const remove = async (id: string) =>
      expect((await appOf().request(`/gateway/v1/upstreams/${id}`, { method: 'DELETE', headers })).status).toBe(200);
    return { created, tenantId: created.tenant.id, headers, add, remove, ...importOverHttp(appOf(), headers) };
  };
  return {
    rig,
    get app() {
      return appOf();
    },
    /** The provider's customers' ids, in the order they were made. */
    get providerIds() {
      return ids;
    },
    tenant,
  };
}

/** A proxy in front of a provider's Stripe-like list that refuses each page after the first with `status` while `refusing()`. */
export function laterPagesRefused(target: string, refusing: () => boolean, status: number, message: string) {
  return switchableProxy(target, {
    refuse: (_body, url) =>
      refusing() && url.includes('starting_after') ? { status, body: { error: { type: 'invalid_request_error', message } } } : undefined,
  });
}
