import type { Action, AnyDialect, Principal, RequestView, VerifiedCredential } from '../dialect.ts';
import { GatewayError, isGatewayError } from '../errors.ts';
import type { Runtime } from './runtime.ts';

const invalid = () => new GatewayError('unauthenticated', 'Invalid credentials provided.', { reason: 'invalid' });

/** The dialect reads the credential, the gateway verifies it, the dialect turns it into a principal. */
export async function authenticate(
  dialect: AnyDialect,
  req: RequestView,
  action: Action,
  rt: Runtime,
): Promise<Principal> {
  const claim = dialect.credential(req);
  if (isGatewayError(claim)) throw claim;
  let verified: VerifiedCredential | undefined;
  if (claim.type === 'api-key') {
    verified = await rt.apiKeys.verify(claim.kind, claim.secret, rt.now().getTime());
  } else {
    const claims = await rt.tokens.verify(claim.token, dialect.name, rt.now().getTime(), () => rt.jwt.verify(claim.token, dialect.name));
    if (claims) verified = { type: 'jwt', claims };
  }
  if (!verified) throw invalid();
  const principal = dialect.principal(verified, req, action);
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
    if (isGatewayError(dialect.credential(req))) continue;
    try {
      return await authenticate(dialect, req, 'read', rt);
    } catch (error) {
      if (!isGatewayError(error)) throw error;
    }
  }
  throw invalid();
}
