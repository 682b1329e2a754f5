import {
  apiKeyPrincipal,
  type Action,
  type CredentialClaim,
  GatewayError,
  type Principal,
  type RequestView,
  type VerifiedCredential,
} from '../../src/dialect.ts';

// Zenskar's security requirement is two headers together: `x-api-key` and `organisation` (the
// tenant's UUID). The key decides the tenant; `organisation` must name that same tenant.

/** API versions this dialect speaks: the seed's. An absent header means the default (the same). */
export const apiVersions = ['20240301'] as const;

// Keys are random secrets looked up by hash; any shape a client holds is tried (imported keys
// need not look like the ones we mint), within the verifier's length limit.
const keyPattern = /^[\x21-\x7e]{1,512}$/;

const missing = (what: string) => new GatewayError('unauthenticated', `No ${what} provided.`, { reason: 'missing' });
const invalid = () => new GatewayError('unauthenticated', 'Invalid API key.', { reason: 'invalid' });

/** At the shared root path `/customers`, an `x-api-key` header is what marks a Zenskar client. */
export const ownsRequestZenskar = (req: RequestView): boolean => req.header('x-api-key') !== undefined;

export function credentialZenskar(req: RequestView): CredentialClaim | GatewayError {
  const secret = req.header('x-api-key')?.trim();
  if (!secret) return missing('API key');
  // Without `organisation` the security requirement is not met at all: a 401, like a missing key.
  if (!req.header('organisation')?.trim()) return missing('organisation');
  if (!keyPattern.test(secret)) return invalid();
  return { type: 'api-key', kind: 'zenskar', secret };
}

export function principalZenskar(verified: VerifiedCredential, req: RequestView, _action: Action): Principal | GatewayError {
  const principal = apiKeyPrincipal(verified);
  if (principal instanceof GatewayError) return principal;
  const organisation = req.header('organisation')?.trim().toLowerCase();
  if (organisation !== principal.tenantId.toLowerCase()) {
    return new GatewayError('forbidden', 'The organisation is not the API key’s organisation.');
  }
  return principal;
}

export function checkRequestZenskar(req: RequestView): GatewayError | undefined {
  const version = req.header('apiversion')?.trim();
  if (!version || (apiVersions as readonly string[]).includes(version)) return undefined;
  const message = `Unsupported apiversion '${version}': this gateway speaks ${apiVersions.join(', ')} (or omit the header for the default).`;
  return new GatewayError('invalid_request', message, {
    issues: [{ path: ['header', 'apiversion'], kind: 'value', message, value: version }],
  });
}
