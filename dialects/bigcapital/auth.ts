import {
  apiKeyPrincipal,
  type CredentialScheme,
  GatewayError,
  type Principal,
  type RequestView,
  type VerifiedCredential,
} from '../../src/contract/dialect.ts';

// Two forms, as Bigcapital takes them:
// - `Bearer bc_<96 hex>`: an API key of one organization (tenant implied, stored hashed). An
//   `organization-id` header beside it is ignored: the key's organization is the one.
// - `Bearer <JWT>` + `organization-id: <tenant UUID>`: the token's subject is a user; the token
//   lists the organizations that user belongs to in the `organizations` claim (signed by the
//   gateway, so only the gateway can grant one), and the header must name one of them.

/** The claim of a Bigcapital JWT that lists the organizations (tenant UUIDs) its subject belongs to. */
export const organizationsClaim = 'organizations';

export const organizationRequiredMessage = 'Organization ID is required.';

const invalid = (message: string) => new GatewayError('unauthenticated', message, { reason: 'invalid' });

/** Marked with an issue on the header, so the renderer can say what is missing. */
export const organizationRequired = () =>
  new GatewayError('unauthenticated', organizationRequiredMessage, {
    reason: 'missing',
    hint: 'A token needs the `organization-id` header naming an organization it grants (the tenant id); a `bc_` API key needs none.',
    issues: [{ path: ['header', 'organization-id'], kind: 'missing', message: organizationRequiredMessage }],
  });

/** `Bearer bc_<96 hex>` (an API key) or `Bearer <JWT>` (a user, with `organization-id`). */
export const credentialsBigcapital = [
  { type: 'api-key', kind: 'bigcapital', in: { authorization: ['bearer'] }, prefix: 'bc_', pattern: /^bc_[0-9a-f]{96}$/ },
  { type: 'jwt', with: ['organization-id'] },
] as const satisfies readonly CredentialScheme[];

/** The organizations a verified token grants, lower-cased as tenant UUIDs are. */
function organizationsOf(claims: Readonly<Record<string, unknown>>): string[] {
  const listed = claims[organizationsClaim];
  if (!Array.isArray(listed)) return [];
  return listed.filter((item): item is string => typeof item === 'string').map((item) => item.toLowerCase());
}

/**
 * A key's tenant is its own. A token (already verified: signature, issuer, audience, expiry) needs
 * the `organization-id` header, which must be one of its organizations.
 */
export function principalBigcapital(verified: VerifiedCredential, req: RequestView): Principal | GatewayError {
  if (verified.type === 'api-key') return apiKeyPrincipal(verified);
  const organizationId = req.header('organization-id')?.trim().toLowerCase();
  if (!organizationId) return organizationRequired();
  const subject = verified.claims.sub;
  if (typeof subject !== 'string' || subject === '') return invalid('Invalid bearer token.');
  // The same answer as a bad token: whether the organization exists is not the caller's to learn.
  if (!organizationsOf(verified.claims).includes(organizationId)) {
    return invalid('The token does not grant access to this organization.');
  }
  return { tenantId: organizationId, credentialId: `jwt:${subject}`, livemode: verified.claims.livemode === true };
}
