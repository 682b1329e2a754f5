import type { CredentialScheme } from '../../src/contract/dialect.ts';

/** `Basic base64(sk_…:)` as the seed says, or `Bearer sk_…` as Stripe SDKs send it. */
export const credentialsWooshpay = [
  {
    type: 'api-key',
    kind: 'wooshpay',
    in: { authorization: ['basic', 'bearer'] },
    prefix: 'sk_',
    pattern: /^sk_(test|live)_[A-Za-z0-9]{1,200}$/,
  },
] as const satisfies readonly CredentialScheme[];
