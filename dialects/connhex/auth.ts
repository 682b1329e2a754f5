import { decodeJwt } from 'jose';
import * as v from 'valibot';
import {
  type Action,
  type CredentialScheme,
  GatewayError,
  type Principal,
  type RequestView,
  type VerifiedCredential,
} from '../../src/contract/dialect.ts';

// Connhex authorises by action names (`pay:customers:update`). The gateway verifies the JWT
// (pinned HS256, exp, issuer, the connhex audience); here its claims become a tenant and a
// decision. Claim shape (documented in the README):
//   tenant       the tenant id every read and write is confined to (required)
//   permissions  action patterns allowed, e.g. ["pay:customers:update", "pay:customers:get"]
//   deny         action patterns refused; a match here wins over any allow
//   livemode     optional boolean, false unless set
// A pattern is an action name in which `*` stands for any run of characters:
// `pay:customers:*`, `pay:*`, `*`.

/** The permission each action needs; create is an update of the collection, as in Connhex. */
export const requiredPermissionConnhex = {
  read: 'pay:customers:get',
  create: 'pay:customers:update',
  update: 'pay:customers:update',
  delete: 'pay:customers:delete',
} as const satisfies Record<Action, string>;

const Pattern = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

export const ClaimsConnhex = v.object({
  sub: v.pipe(v.string(), v.minLength(1)),
  tenant: v.pipe(v.string(), v.minLength(1)),
  permissions: v.optional(v.pipe(v.array(Pattern), v.maxLength(100)), []),
  deny: v.optional(v.pipe(v.array(Pattern), v.maxLength(100)), []),
  livemode: v.optional(v.boolean(), false),
});
export type ClaimsConnhex = v.InferOutput<typeof ClaimsConnhex>;

/** `Authorization: Bearer <JWT>`; a token of ours that names no tenant is not a credential. */
export const credentialsConnhex = [{ type: 'jwt', claims: ClaimsConnhex }] as const satisfies readonly CredentialScheme[];

const escapeRegExp = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Does an action pattern (with `*` wildcards) cover this action? */
export function matchesConnhex(pattern: string, action: string): boolean {
  if (!pattern.includes('*')) return pattern === action;
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(action);
}

/** Allowed when some permission covers the action and no deny does. */
export function permitsConnhex(claims: Pick<ClaimsConnhex, 'permissions' | 'deny'>, action: string): boolean {
  if (claims.deny.some((p) => matchesConnhex(p, action))) return false;
  return claims.permissions.some((p) => matchesConnhex(p, action));
}

/** Verified claims -> the tenant, if the token allows this action (401 malformed, 403 not allowed). */
export function principalConnhex(verified: VerifiedCredential, _req: RequestView, action: Action): Principal | GatewayError {
  if (verified.type !== 'jwt') return new GatewayError('unauthenticated', 'Invalid bearer token.', { reason: 'invalid' });
  // Checked against ClaimsConnhex by the gateway (credentialsConnhex): these are its output.
  const claims = verified.claims as ClaimsConnhex;
  const needed = requiredPermissionConnhex[action];
  if (!permitsConnhex(claims, needed)) {
    return new GatewayError('forbidden', `This token is not permitted to perform ${needed}.`);
  }
  return { tenantId: claims.tenant, credentialId: `jwt:${claims.sub}`, livemode: claims.livemode };
}

const Grants = v.object({ permissions: ClaimsConnhex.entries.permissions, deny: ClaimsConnhex.entries.deny });

/**
 * The permissions a Connhex token lacks for these actions, from its payload (not verified here:
 * Connhex verifies it). A token whose payload is unreadable is left to the provider: none listed.
 */
export function missingGrantsConnhex(token: string, actions: readonly Action[]): string[] {
  let payload: unknown;
  try {
    payload = decodeJwt(token);
  } catch {
    return [];
  }
  const grants = v.safeParse(Grants, payload);
  if (!grants.success) return [];
  const needed = [...new Set(actions.map((a) => requiredPermissionConnhex[a]))];
  return needed.filter((permission) => !permitsConnhex(grants.output, permission));
}
