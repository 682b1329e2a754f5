import type { Action, AnyDialect, Principal, RequestView, VerifiedCredential } from '../dialect.ts';
import { GatewayError, isGatewayError } from '../errors.ts';
import type { Runtime } from './runtime.ts';

const invalid = () => new GatewayError('unauthenticated', 'Invalid credentials provided.', { reason: 'invalid' });

const limited = (seconds: number, what: string) =>
  new GatewayError('rate_limited', `Too many ${what}; retry in ${seconds} s.`, { retryAfterSeconds: seconds });

/** The dialect reads the credential, the gateway verifies it, the dialect turns it into a principal. */
async function verify(dialect: AnyDialect, req: RequestView, action: Action, rt: Runtime): Promise<Principal> {
  const claim = dialect.credential(req);
  if (isGatewayError(claim)) throw claim;
  let verified: VerifiedCredential | undefined;
  if (claim.type === 'api-key') {
    verified = await rt.apiKeys.verify(claim.kind, claim.secret, rt.now().getTime());
  } else {
    const token = await rt.tokens.verify(claim.token, dialect.name, rt.now().getTime(), () => rt.jwt.verify(claim.token, dialect.name));
    if (token) verified = { type: 'jwt', tenantId: token.tenantId, claims: token.claims };
  }
  if (!verified) throw invalid();
  const principal = dialect.principal(verified, req, action);
  if (isGatewayError(principal)) throw principal;
  // Whatever its claims say, a token acts only for the tenant whose key signed it.
  if (verified.type === 'jwt' && principal.tenantId.toLowerCase() !== verified.tenantId) throw invalid();
  return principal;
}

/**
 * Authentication behind the limits: a client address past its failed-authentication limit is
 * refused before anything is looked up; a failure counts against the address; a credential past
 * its request limit (when one is set) is refused.
 */
async function limitedBy(rt: Runtime, client: string | undefined, attempt: () => Promise<Principal>): Promise<Principal> {
  const now = rt.now().getTime();
  if (client !== undefined) {
    const wait = rt.authFailures.blockedFor(client, now);
    if (wait > 0) throw limited(wait, 'failed authentications from this address');
  }
  let principal: Principal;
  try {
    principal = await attempt();
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

export function authenticate(
  dialect: AnyDialect,
  req: RequestView,
  action: Action,
  rt: Runtime,
  client?: string,
): Promise<Principal> {
  return limitedBy(rt, client, () => verify(dialect, req, action, rt));
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
): Promise<Principal> {
  return limitedBy(rt, client, async () => {
    for (const dialect of dialects) {
      if (isGatewayError(dialect.credential(req))) continue;
      try {
        return await verify(dialect, req, 'read', rt);
      } catch (error) {
        if (!isGatewayError(error)) throw error;
      }
    }
    throw invalid();
  });
}
