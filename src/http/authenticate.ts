import * as v from 'valibot';
import { readCredential } from '../auth/index.ts';
import type { Action, AnyDialect, CredentialClaim, Principal, RequestView, VerifiedCredential } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import type { Runtime } from './runtime.ts';

const invalid = () => new GatewayError('unauthenticated', 'Invalid credentials provided.', { reason: 'invalid' });

/** The gateway checks a claim: an API key by its hash, a JWT by signature, audience and claims. */
async function verify(claim: CredentialClaim, dialect: AnyDialect, rt: Runtime): Promise<VerifiedCredential | undefined> {
  if (claim.type === 'api-key') return rt.apiKeys.verify(claim.kind, claim.secret, rt.now().getTime());
  const claims = await rt.jwt.verify(claim.token, dialect.name);
  if (!claims || !claim.claims) return claims && { type: 'jwt', claims };
  // A token of ours whose claims are not the dialect's (no tenant named) can be used for nothing.
  const checked = v.safeParse(claim.claims, claims);
  return checked.success ? { type: 'jwt', claims: checked.output } : undefined;
}

/** The gateway reads the credential by the dialect's schemes and verifies it; the dialect turns it into a principal. */
export async function authenticate(
  dialect: AnyDialect,
  req: RequestView,
  action: Action,
  rt: Runtime,
): Promise<Principal> {
  const claim = readCredential(dialect.auth.credentials, req);
  if (isGatewayError(claim)) throw claim;
  const verified = await verify(claim, dialect, rt);
  if (!verified) throw invalid();
  const principal = dialect.auth.principal(verified, req, action);
  if (isGatewayError(principal)) throw principal;
  return principal;
}

/**
 * The gateway's own API takes any credential of the tenant in any dialect's scheme: the first
 * dialect whose credential verifies decides the tenant.
 */
export async function authenticateAny(
  dialects: readonly AnyDialect[],
  req: RequestView,
  rt: Runtime,
): Promise<Principal> {
  for (const dialect of dialects) {
    if (isGatewayError(readCredential(dialect.auth.credentials, req))) continue;
    try {
      return await authenticate(dialect, req, 'read', rt);
    } catch (error) {
      if (!isGatewayError(error)) throw error;
    }
  }
  throw invalid();
}
