import { Hono } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { reconcile } from '../outbox/reconcile.ts';
import type { UpstreamRow } from '../store/index.ts';
import type { ImportJobView } from '../upstream/import-view.ts';
import { type OnConflict, onConflictChoices } from '../upstream/import-one.ts';
import { seesUpstreamsWhole } from '../upstream/base-url-shown.ts';
import { minRate } from '../upstream/import-lease.ts';
import { clearCreateAttempt, listCreateAttempts } from '../upstream/stuck-creates.ts';
import { sleepFor } from '../upstream/list-pages.ts';
import { requestIdOf } from './access.ts';
import type { GatewayEnv } from './context.ts';
import { gatewayAuth, gatewayError } from './gateway-api.ts';
import { badParameter, bodyObject, onlyParameters } from './gateway-body.ts';
import { waitUntilOf } from './wait-until.ts';
import type { Runtime } from './runtime.ts';
import { attemptScope, refuseTestKeyOverLive } from './upstream-keys.ts';

// Moving a whole customer book over HTTP (docs/migrating.md), the same runners as
// `custgate upstream import` and `custgate upstream reconcile`:
// - POST /gateway/v1/upstreams/{id}/import starts (or resumes) an import and answers 202 with its
//   state; GET of the same path shows its progress (src/upstream/import-job.ts);
// - GET /gateway/v1/upstreams/{id}/reconciliation walks both sides now and answers what
//   `custgate upstream reconcile --json` prints (src/outbox/reconcile.ts);
// - GET /gateway/v1/upstreams/{id}/create-attempts lists the creates whose answer was never stored,
//   and DELETE …/create-attempts/{customer} clears one, as `custgate upstream attempts [--clear]`
//   (src/upstream/stuck-creates.ts).

/**
 * An import's state as a key sees it: the provider customers it left out (`conflicts`, `refused`:
 * provider ids, and the local customers holding their keys) only to a key that sees upstreams
 * whole (seesUpstreamsWhole), as a reconciliation names them. The customers it stored under
 * another number (`renumbered`) are the import's mode's: named with their provider ids to a key of
 * that mode that sees upstreams whole, and to no other (a test key of a live tenant read the live
 * customers' ids and the provider's there).
 */
const importShown = (job: ImportJobView, whole: boolean, livemode: boolean) => {
  const shown = whole && job.livemode === livemode ? job : { ...job, renumbered: [] };
  return whole ? { ...shown, unlinked_withheld: false } : { ...shown, conflicts: [], refused: [], unlinked_withheld: true };
};

async function upstreamOf(rt: Runtime, tenantId: string, id: string): Promise<UpstreamRow> {
  const row = await rt.store.upstreams.find(tenantId, id);
  if (!row) throw new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });
  return row;
}

/**
 * The most a reconciliation over HTTP waits, in all, for a provider that is throttling or down:
 * `custgate upstream reconcile` waits about a minute (src/upstream/list-pages.ts), past what a
 * client or a load balancer holds a request open, so the caller got no answer at all.
 */
const httpWaitMs = 3_000;

/** list-pages' waits within `httpWaitMs`; past it, the provider's 503 with the wait it asked for. */
function boundedWaits(): (ms: number) => Promise<void> {
  let waited = 0;
  return async (ms) => {
    if (waited + ms > httpWaitMs) {
      throw new GatewayError(
        'upstream_unavailable',
        'The upstream provider did not answer its list in time; retry later, or run `custgate upstream reconcile`, which waits longer.',
        { retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) },
      );
    }
    waited += ms;
    await sleepFor(ms);
  };
}

/** The optional body of POST …/import: {"rate": n, "on_conflict": "report" | "link"}. */
function startOptions(fields: Record<string, unknown>): { rate?: number; onConflict?: OnConflict } {
  const { rate, on_conflict: onConflict } = onlyParameters(fields, ['rate', 'on_conflict']);
  if (rate !== undefined && (typeof rate !== 'number' || !Number.isFinite(rate) || rate < minRate))
    throw badParameter('rate', `rate must be a number of customers per second, at least ${minRate}.`);
  if (onConflict !== undefined && !onConflictChoices.includes(onConflict as OnConflict))
    throw badParameter('on_conflict', `on_conflict must be one of: ${onConflictChoices.join(', ')}.`);
  return {
    ...(rate !== undefined ? { rate: rate as number } : {}),
    ...(onConflict !== undefined ? { onConflict: onConflict as OnConflict } : {}),
  };
}

export function bookApi(dialects: readonly AnyDialect[], rt: Runtime): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  api.onError((error, c) => gatewayError(error, rt, requestIdOf(c)));
  const read = gatewayAuth(dialects, rt);
  const update = gatewayAuth(dialects, rt, 'update');

  // The imported customers belong to the keys the import was started with (test or live). Once
  // the tenant is live the provider's book is live data: a test key would read it all as its own
  // test customers, so it starts no import then, as it changes no upstream.
  api.post('/upstreams/:id/import', update, async (c) => {
    const principal = c.get('principal');
    const { rate, onConflict } = startOptions(await bodyObject(c, rt, ['json']));
    await refuseTestKeyOverLive(rt.store, principal, "import an upstream's customers");
    const row = await upstreamOf(rt, principal.tenantId, c.req.param('id'));
    const started = await rt.imports.start(row, { livemode: principal.livemode, rate, onConflict, background: waitUntilOf(c) });
    return c.json(importShown(started, true, principal.livemode), 202, { location: `/gateway/v1/upstreams/${row.id}/import` });
  });

  api.get('/upstreams/:id/import', read, async (c) => {
    const { tenantId, livemode } = c.get('principal');
    const row = await upstreamOf(rt, tenantId, c.req.param('id'));
    const status = await rt.imports.status(row);
    if (!status) throw new GatewayError('not_found', `Upstream ${row.id} has not been imported: POST this path to start.`);
    return c.json(importShown(status, await seesUpstreamsWhole(rt.store, tenantId, livemode), livemode));
  });

  // The answer names the key's own mode's customers (their differences hold their values), and
  // the provider's customers no one here is linked to only to a key that sees upstreams whole; the
  // counts and the history entry a promotion reads are the whole book's.
  api.get('/upstreams/:id/reconciliation', read, async (c) => {
    const principal = c.get('principal');
    const row = await upstreamOf(rt, principal.tenantId, c.req.param('id'));
    const mode = principal.livemode ? 1 : 0;
    const namesUnlinked = await seesUpstreamsWhole(rt.store, principal.tenantId, principal.livemode);
    return c.json(
      await reconcile({ store: rt.store, client: rt.upstreams, maxCustomerBytes: rt.config.maxCustomerBytes }, row, {
        now: rt.now,
        sleep: boundedWaits(),
        shows: (livemode) => livemode === null || livemode === mode,
        namesUnlinked,
      }),
    );
  });

  api.get('/upstreams/:id/create-attempts', read, async (c) => {
    const principal = c.get('principal');
    const only = await attemptScope(rt.store, principal);
    const data = await listCreateAttempts(rt.store, principal.tenantId, c.req.param('id'), rt.now(), only);
    return c.json({ object: 'list', data });
  });

  api.delete('/upstreams/:id/create-attempts/:customer', update, async (c) => {
    const customer = c.req.param('customer');
    const principal = c.get('principal');
    const only = await attemptScope(rt.store, principal);
    await clearCreateAttempt(rt.store, principal.tenantId, c.req.param('id'), customer, rt.now(), only);
    return c.json({ cleared: customer });
  });
  return api;
}
