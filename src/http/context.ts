import type { Context } from 'hono';
import type { Principal } from '../contract/dialect.ts';

// What a request carries from middleware to handler, typed once for the whole app
// (hono's `Variables`: https://hono.dev/docs/api/context#set-get).

export interface GatewayVariables {
  /** The request id every response echoes (access.ts). */
  requestId: string;
  /** The dialect serving the request, `gateway` for /gateway/v1 and /metrics; unset when no route matched. */
  dialect?: string;
  /** The tenant the request authenticated as, for the access log; unset until it has. */
  tenant?: string;
  /** The mode of the key it authenticated with (the request log shows a key only its own mode's requests). */
  livemode?: boolean;
  /** Set when the client's address is past its in-flight limit (in-flight.ts): the request is refused. */
  crowded?: true;
  /** The caller, set by the gateway API's authentication middleware (gateway-api.ts). */
  principal: Principal;
}

export interface GatewayEnv {
  Variables: GatewayVariables;
}

export type GatewayContext = Context<GatewayEnv>;

/** A route's handler: the pipeline's per-action handlers and the simulation wrapped around them. */
export type Handler = (c: Context) => Promise<Response>;
