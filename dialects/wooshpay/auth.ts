import { type CredentialClaim, GatewayError, type RequestView } from '../../src/dialect.ts';

const keyPattern = /^sk_(test|live)_[A-Za-z0-9]{1,200}$/;

const missing = () => new GatewayError('unauthenticated', 'No API key provided.', { reason: 'missing' });
const invalid = () => new GatewayError('unauthenticated', 'Invalid API key.', { reason: 'invalid' });

function decodeBasic(value: string): string | undefined {
  try {
    const decoded = atob(value);
    // The key is the user name; Stripe ignores the password.
    const colon = decoded.indexOf(':');
    return colon === -1 ? decoded : decoded.slice(0, colon);
  } catch {
    return undefined;
  }
}

/** `Basic base64(sk_…:)` as the seed says, or `Bearer sk_…` as Stripe SDKs send it. */
export function credentialWooshpay(req: RequestView): CredentialClaim | GatewayError {
  const header = req.header('authorization');
  if (!header) return missing();
  const [scheme, value = '', extra] = header.trim().split(/\s+/);
  // Anything after the credential is not part of it: refused, as the other dialects do.
  if (extra !== undefined) return invalid();
  let secret: string | undefined;
  if (scheme?.toLowerCase() === 'basic') secret = decodeBasic(value);
  else if (scheme?.toLowerCase() === 'bearer') secret = value;
  if (!secret) return missing();
  if (!keyPattern.test(secret)) return invalid();
  return { type: 'api-key', kind: 'wooshpay', secret };
}
