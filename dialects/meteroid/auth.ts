import { type CredentialClaim, GatewayError, type RequestView } from '../../src/dialect.ts';

// Keys are issued as `pv_test_<48 base62>` / `pv_live_…` (Meteroid's own keys start `pv_`). A token
// of any other shape cannot be one of ours, so it is refused before any lookup.
const keyPattern = /^pv_(test|live)_[A-Za-z0-9]{1,200}$/;

const missing = () => new GatewayError('unauthenticated', 'No API key provided.', { reason: 'missing' });
const invalid = () => new GatewayError('unauthenticated', 'Invalid API key.', { reason: 'invalid' });

/** `Authorization: Bearer <api key>`; the key alone names the tenant. */
export function credentialMeteroid(req: RequestView): CredentialClaim | GatewayError {
  const header = req.header('authorization');
  if (!header) return missing();
  const match = /^bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) return missing();
  if (!keyPattern.test(match[1])) return invalid();
  return { type: 'api-key', kind: 'meteroid', secret: match[1] };
}
