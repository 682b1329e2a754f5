import * as v from 'valibot';
import { readCredential } from '../auth/index.ts';
import type { Action, AnyDialect, CredentialClaim, Principal, RequestView, VerifiedCredential } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import type { Runtime } from './runtime.ts';

const invalid = () => new GatewayError('unauthenticated', 'Invalid credentials provided.', { reason: 'invalid' });

const limited = (seconds: number, what: string) =>
  new GatewayError('rate_limited', `Too many ${what}; retry in ${seconds} s.`, { retryAfterSeconds: seconds });

/** The gateway checks a claim: an API key by its hash, a JWT by signature, audience and claims. */
async function check(claim: CredentialClaim, dialect: AnyDialect, rt: Runtime, now: number): Promise<VerifiedCredential | undefined> {
  if (claim.type === 'api-key') return rt.apiKeys.verify(claim.kind, claim.secret, now);
  const token = await rt.tokens.verify(claim.token, dialect.name, now, () => rt.jwt.verify(claim.token, dialect.name));
  if (!token) return undefined;
  if (!claim.claims) return { type: 'jwt', tenantId: token.tenantId, claims: token.claims };
  // A token of ours whose claims are not the dialect's (no tenant named) can be used for nothing.
  const checked = v.safeParse(claim.claims, token.claims);
  return checked.success ? { type: 'jwt', tenantId: token.tenantId, claims: checked.output } : undefined;
}

/** The gateway reads the credential by the dialect's schemes and checks it; the dialect turns it into a principal. */
async function verify(dialect: AnyDialect, req: RequestView, action: Action, rt: Runtime, now: number): Promise<Principal> {
  const claim = readCredential(dialect.auth.credentials, req);
  if (isGatewayError(claim)) throw claim;
  const verified = await check(claim, dialect, rt, now);
  if (!verified) throw invalid();
  const principal = dialect.auth.principal(verified, req, action);
  if (isGatewayError(principal)) throw principal;
  if (verified.type !== 'jwt' || principal.tenantId === verified.tenantId) return principal;
  // Whatever its claims say, a token acts only for the tenant whose key signed it. Its claim may
  // name that tenant in capitals (a UUID is the same in either case); the store keys tenants by
  // the lower-case id, so a principal in capitals saw an empty tenant and could write nothing.
  if (principal.tenantId.toLowerCase() !== verified.tenantId) throw invalid();
  return { ...principal, tenantId: verified.tenantId };
}

/**
 * Authentication behind the limits: a client address past its failed-authentication limit is
 * refused before anything is looked up; a failure counts against the address; a credential past
 * its request limit (when one is set) is refused.
 */
async function limitedBy(rt: Runtime, client: string | undefined, attempt: (now: number) => Promise<Principal>): Promise<Principal> {
  // One clock reading for the limits and the credential's expiry.
  const now = rt.now().getTime();
  if (client !== undefined) {
    const wait = rt.authFailures.blockedFor(client, now);
    if (wait > 0) throw limited(wait, 'failed authentications from this address');
  }
  let principal: Principal;
  try {
    principal = await attempt(now);
  } catch (error) {
    if (client !== undefined && isGatewayError(error) && error.code === 'unauthenticated') rt.authFailures.hit(client, now);
    throw error;
  }
  if (rt.requests.enabled) {
    const wait = rt.requests.take(`${principal.tenantId} ${principal.credentialId}`, now);
    if (wait > 0) throw limited(wait, 'requests with this credential');
  }
  return principal;
}

export function authenticate(dialect: AnyDialect, req: RequestView, action: Action, rt: Runtime, client?: string): Promise<Principal> {
  return limitedBy(rt, client, (now) => verify(dialect, req, action, rt, now));
}

/**
 * The gateway's own API takes any credential of the tenant in any dialect's scheme: the first
 * dialect whose credential verifies decides the tenant.
 */
export function authenticateAny(
  dialects: readonly AnyDialect[],
  req: RequestView,
  rt: Runtime,
  client?: string,
  action: Action = 'read',
): Promise<Principal> {
  return limitedBy(rt, client, async (now) => {
    for (const dialect of dialects) {
      if (isGatewayError(readCredential(dialect.auth.credentials, req))) continue;
      try {
        return await verify(dialect, req, action, rt, now);
      } catch (error) {
        if (!isGatewayError(error)) throw error;
      }
    }
    throw invalid();
  });
}
