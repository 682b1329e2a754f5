import type { CredentialScheme } from '../../src/contract/dialect.ts';

// Keys are issued as `pv_test_<48 base62>` / `pv_live_…` (Meteroid's own keys start `pv_`). A token
// of any other shape cannot be one of ours, so it is refused before any lookup.

/** `Authorization: Bearer <api key>`; the key alone names the tenant. */
export const credentialsMeteroid = [
  { type: 'api-key', kind: 'meteroid', in: { authorization: ['bearer'] }, pattern: /^pv_(test|live)_[A-Za-z0-9]{1,200}$/ },
] as const satisfies readonly CredentialScheme[];
