import type { GatewayError } from '../contract/errors.ts';
import type { Store } from '../store/index.ts';
import type { Transport } from './http.ts';
import { pointsAtThisGateway } from './loop.ts';
import { addUpstream, invalid, type UpstreamAdmin, type UpstreamInput } from './registry.ts';

// `custgate upstream add` and POST /gateway/v1/upstreams add an upstream the same way: the input
// checked (registry.ts), then one request to the base URL to see that it is not this gateway
// itself (loop.ts), then stored. An upstream pointing back here would send every write round until
// it failed; the Via check would refuse each one, but only after the client's write was taken.

/** How the loop check reaches the base URL: this gateway's id and the transport its upstream calls use. */
export interface LoopProbe {
  readonly gatewayId: () => Promise<string>;
  readonly transport?: Transport | undefined;
  readonly timeoutMs: number;
}

/** The base URL the loop check found to be this gateway, as `upstream add` and the API refuse it. */
export const loopingBaseUrl = (baseUrl: string): GatewayError =>
  invalid('base_url', `The base URL ${baseUrl} is this gateway itself: every write would go round until it failed.`);

export function addUpstreamChecked(
  store: Store,
  admin: UpstreamAdmin,
  tenantId: string,
  input: UpstreamInput,
  probe: LoopProbe,
  now = new Date(),
) {
  return addUpstream(store, admin, tenantId, input, now, {
    beforeStore: async (dialect, baseUrl) => {
      const options = { timeoutMs: probe.timeoutMs, transport: probe.transport };
      if (await pointsAtThisGateway(dialect, baseUrl, await probe.gatewayId(), options)) throw loopingBaseUrl(baseUrl);
    },
  });
}
