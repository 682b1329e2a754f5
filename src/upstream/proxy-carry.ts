import { type Customer, type CustomerFields, type CustomerPatch, type FieldName, fieldNames } from '../../schemas/index.ts';
import { applyPatch, type CustomerService, type WriteRequest } from '../core/index.ts';
import { GatewayError } from '../contract/errors.ts';
import type { LinkRow, Store } from '../store/index.ts';
import { type Claim, type ClaimOwner, Contended, claimAttempt, claimFor, settleRefused } from './attempts.ts';
import { type Pushed, requestFor, type Upstream, type UpstreamClient, wholePatch } from './client.ts';
import { cannotCarry, carriedPatch, inexact, uncarried } from './fidelity.ts';
import { mayHold } from './marker.ts';
import { nulSent } from './nul-sent.ts';
import { heldAnswer } from './proxy-steps.ts';
import { inClientTerms } from './refusal.ts';

// The one step of a proxied write (proxy.ts) that reaches the provider: the change checked against
// what its API can carry, a known customer's create recorded, then sent.

/** What a proxied write is sent with: the core, the store, the client, and this process's claims' owner. */
export interface ProxyParts {
  readonly service: CustomerService;
  readonly store: Store;
  readonly client: UpstreamClient;
  /** This process, named by its claims (instance-heartbeat.ts); none where it keeps no heartbeat (Workers). */
  readonly owner: ClaimOwner | undefined;
}

/** A claim this request holds on the customer's record: one it took over (`owned`) or will insert. */
export type OwnClaim = { readonly claim: Claim; readonly owned: boolean };

/**
 * Sends the upstream the absolute values the write leaves, as it carries them (fidelity.ts),
 * after checking that its API makes the whole change: what it cannot carry is refused before
 * anything is sent, so an acknowledged write is one the provider holds.
 */
export async function carry(
  proxy: ProxyParts,
  upstream: Upstream,
  link: LinkRow | undefined,
  current: Customer | CustomerFields,
  after: CustomerFields,
  patch: CustomerPatch,
  ctx: WriteRequest,
  create: { readonly createKey?: string | undefined; readonly claim?: OwnClaim } = {},
): Promise<Pushed> {
  const { createKey } = create;
  const client = proxy.client.dialectOf(ctx.dialect);
  const touched = (Object.keys(patch) as FieldName[]).filter((f) => patch[f] !== undefined);
  const known = 'uuid' in current ? current : undefined;
  const carried = carriedPatch(upstream.dialect, current, after, touched, link === undefined);
  const write = { patch: carried, current: known, idempotencyKey: ctx.idempotencyKey, createKey };
  const request = requestFor(upstream, link, write);
  const kind = link ? 'update' : 'create';
  const sent = link ? { patch: write.patch, current: known } : { patch: wholePatch(applyPatch(current, write.patch)) };
  const checked = { after, touched: link ? touched : fieldNames };
  const refused = [
    ...(await uncarried(upstream.dialect, kind, request, { ...sent, ...checked }, true)),
    ...inexact(upstream.dialect, checked),
    ...nulSent(upstream.dialect, checked, link === undefined),
  ];
  if (refused.length > 0) throw cannotCarry(refused, upstream.dialect, client);
  // A known customer's create is recorded before it leaves: its answer may be lost (attempts.ts).
  const recorded = !link && known ? known.uuid : undefined;
  const claim = create.claim ?? { claim: claimFor(proxy.client.timeoutMs, proxy.owner?.id ?? null), owned: false };
  if (recorded !== undefined) {
    const attempt = { at: new Date().toISOString(), key: createKey, sent: applyPatch(current, carried), livemode: ctx.principal.livemode };
    if (!(await claimAttempt(proxy.store, upstream, recorded, attempt, claim))) throw new Contended();
    // Another request may have linked it (and so removed its record) since this one looked.
    if (await proxy.store.upstreams.findLink(upstream.tenantId, upstream.id, recorded)) {
      await proxy.store.attempts.drop(upstream.tenantId, upstream.id, recorded);
      throw new Contended();
    }
    // Unheard from this long, this process may be taken for dead and its claim taken over: a
    // create sent now could be in flight beside the taker's.
    if (proxy.owner !== undefined && !proxy.owner.live()) {
      throw new GatewayError('unavailable', 'This gateway process cannot renew its heartbeat in the store now; retry shortly.', {
        retryAfterSeconds: 1,
      });
    }
  }
  const pushed = await proxy.client.send(upstream, request, link === undefined, ctx.via, link?.remote_id).catch(async (error: unknown) => {
    const translated = mayHold(link, inClientTerms(error, upstream.dialect, client));
    if (recorded === undefined) throw translated;
    return settleRefused(proxy.store, upstream, recorded, translated, claim.claim);
  });
  return heldAnswer(proxy.service, link, current, after, pushed, ctx, upstream);
}
