import type { DialectName } from '../../dialects/index.ts';
import { GatewayError } from '../contract/errors.ts';
import type { WebhookFormat } from '../webhooks/store.ts';
import { type CredentialBinding, type Keyring, webhookSecretContext } from './secrets.ts';

// What each provider itself sends when its customers change, and so what
// POST /gateway/v1/upstreams/{id}/webhook takes from it. Wooshpay and Connhex follow Stripe's
// events (`customer.created|updated|deleted`, `Stripe-Signature`; https://docs.stripe.com/api/events/types).
// Meteroid sends its events through Svix, in the Standard Webhooks format (https://www.standardwebhooks.com/).
// Bigcapital has no outbound webhooks and Zenskar documents none for customers: none is taken from them.
const formatByDialect = {
  wooshpay: 'stripe',
  connhex: 'stripe',
  meteroid: 'standard',
  bigcapital: null,
  zenskar: null,
} as const satisfies Record<DialectName, WebhookFormat | null>;

export function inboundFormat(dialect: string): WebhookFormat | undefined {
  return Object.hasOwn(formatByDialect, dialect) ? (formatByDialect[dialect as DialectName] ?? undefined) : undefined;
}

const invalid = (message: string) =>
  new GatewayError('invalid_request', message, { issues: [{ path: ['webhook_secret'], kind: 'value', message }] });

/** Checks a provider's webhook secret against what its format can key with, and seals it. */
export async function sealWebhookSecret(keyring: Keyring, row: CredentialBinding, secret: string): Promise<string> {
  const format = inboundFormat(row.dialect);
  if (!format) throw invalid(`${row.dialect} sends no customer webhooks: it takes no webhook secret.`);
  if (secret.length < 8 || secret.length > 255 || /\s/.test(secret)) {
    throw invalid('The webhook secret must be 8 to 255 characters without spaces (Stripe: whsec_…).');
  }
  // Standard Webhooks keys the HMAC with the base64 after whsec_.
  if (format === 'standard' && !/^(?:whsec_)?[A-Za-z0-9+/]{16,}={0,2}$/.test(secret)) {
    throw invalid('A Standard Webhooks secret is whsec_ followed by base64.');
  }
  return keyring.encrypt(secret, webhookSecretContext(row));
}

export const openWebhookSecret = (keyring: Keyring, row: CredentialBinding & { readonly webhook_secret: string }): Promise<string> =>
  keyring.decrypt(row.webhook_secret, webhookSecretContext(row));
