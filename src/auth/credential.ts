import type { CredentialClaim, CredentialScheme, RequestView } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';

// The one reader of credentials: every dialect declares its schemes as data (Dialect.credentials)
// and this turns headers into a claim to verify, or an `unauthenticated` error that says whether
// there was no credential at all (`missing`) or one that can never verify (`invalid`).

type KeyScheme = Extract<CredentialScheme, { type: 'api-key' }>;
type AuthScheme = 'bearer' | 'basic';

const missing = () => new GatewayError('unauthenticated', 'No credential provided.', { reason: 'missing' });
const invalid = () => new GatewayError('unauthenticated', 'Invalid credential.', { reason: 'invalid' });

const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** `base64(user:password)` -> the user, which is the key (Stripe ignores the password). */
function basicUser(value: string): string | undefined {
  try {
    const decoded = atob(value);
    const colon = decoded.indexOf(':');
    return colon === -1 ? decoded : decoded.slice(0, colon);
  } catch {
    return undefined;
  }
}

const keyClaim = (scheme: KeyScheme, secret: string): CredentialClaim | GatewayError =>
  scheme.pattern.test(secret) ? { type: 'api-key', kind: scheme.kind, secret } : invalid();

/** A key in a header of its own, with the headers that must come with it. */
function fromHeader(scheme: KeyScheme, header: string, companions: readonly string[], req: RequestView) {
  const secret = req.header(header)?.trim();
  if (!secret) return missing();
  // Without its companions the security requirement is not met at all: a 401, like a missing key.
  if (companions.some((name) => !req.header(name)?.trim())) return missing();
  return keyClaim(scheme, secret);
}

function fromAuthorization(schemes: readonly CredentialScheme[], req: RequestView): CredentialClaim | GatewayError {
  const header = req.header('authorization')?.trim();
  if (!header) return missing();
  const [name = '', token, ...extra] = header.split(/\s+/);
  const auth = name.toLowerCase() as AuthScheme;
  const keys = schemes.filter((s): s is KeyScheme => s.type === 'api-key' && 'authorization' in s.in && s.in.authorization.includes(auth));
  const jwt = auth === 'bearer' ? schemes.find((s) => s.type === 'jwt') : undefined;
  if (keys.length === 0 && !jwt) return invalid();
  if (token === undefined) return missing();
  // Exactly `<scheme> <token>`: anything after the token is not a credential we issued.
  if (extra.length > 0) return invalid();
  const secret = auth === 'basic' ? basicUser(token) : token;
  if (!secret) return invalid();
  const key = keys.find((s) => secret.startsWith(s.prefix ?? ''));
  if (key) return keyClaim(key, secret);
  if (jwt && jwtShape.test(secret)) return { type: 'jwt', token: secret, ...(jwt.claims ? { claims: jwt.claims } : {}) };
  return invalid();
}

/** Reads the credential a request presents under a dialect's schemes. */
export function readCredential(schemes: readonly CredentialScheme[], req: RequestView): CredentialClaim | GatewayError {
  for (const scheme of schemes) {
    if (scheme.type === 'api-key' && 'header' in scheme.in) return fromHeader(scheme, scheme.in.header, scheme.in.with ?? [], req);
  }
  return fromAuthorization(schemes, req);
}
