import {
  apiKeyPrincipal,
  type Action,
  type CredentialScheme,
  GatewayError,
  type Principal,
  type RequestView,
  type VerifiedCredential,
} from '../../src/contract/dialect.ts';

// Zenskar's security requirement is two headers together: `x-api-key` and `organisation` (the
// tenant's UUID). The key decides the tenant; `organisation` must name that same tenant.

/** API versions this dialect speaks: the seed's. An absent header means the default (the same). */
export const apiVersions = ['20240301'] as const;

// Keys are random secrets looked up by hash; any shape a client holds is tried (imported keys
// need not look like the ones we mint), within the verifier's length limit.
export const credentialsZenskar = [
  { type: 'api-key', kind: 'zenskar', in: { header: 'x-api-key', with: ['organisation'] }, pattern: /^[\x21-\x7e]{1,512}$/ },
] as const satisfies readonly CredentialScheme[];

/** At the shared root path `/customers`, an `x-api-key` header is what marks a Zenskar client. */
export const ownsRequestZenskar = (req: RequestView): boolean => req.header('x-api-key') !== undefined;

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
