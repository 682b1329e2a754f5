import type { Webhooks } from './index.ts';
import type { EndpointScope } from './store.ts';

/**
 * Puts an event's deliveries back in line now (to `endpointId` only, when given; of the scope's
 * mode), and ends the holds on the endpoints they go to: the sender says they are back
 * (Webhooks.release, in the store, so the process holding them sees it). The HTTP resend and
 * `custgate webhook resend` alike: the CLI's left the hold on, and a server kept the event back for
 * up to an hour. How many deliveries were queued again; 0 when the event is none of the tenant's.
 */
export async function resendEvent(wh: Webhooks, scope: EndpointScope, eventId: string, now: Date, endpointId?: string): Promise<number> {
  const ref = await wh.repo.eventById(scope.tenantId, eventId);
  if (!ref) return 0;
  const resent = await wh.repo.resend(scope, ref.customer_id, ref.version, now.toISOString(), endpointId);
  if (resent === 0) return 0;
  const to =
    endpointId === undefined
      ? (await wh.repo.deliveriesOf(scope.tenantId, ref.customer_id, ref.version)).map((d) => d.endpoint_id)
      : [endpointId];
  await wh.release(to);
  wh.committed();
  return resent;
}
