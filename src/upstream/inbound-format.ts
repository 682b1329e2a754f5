import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { type CredentialBinding, type Keyring, webhookSecretContext } from './secrets.ts';

// What POST /gateway/v1/upstreams/{id}/webhook takes from a provider: the format its client half
// declares (`client.inboundWebhooks`: Stripe's events or Standard Webhooks), keyed by a secret
// sealed here.

/** `field`: the member that held the secret (`webhook_secret` of an add, `secret` of PUT …/webhook-secret). */
const invalid = (message: string, field: string) =>
  new GatewayError('invalid_request', message, { issues: [{ path: [field], kind: 'value', message }] });

/** Checks a provider's webhook secret against what its format can key with, and seals it. */
export async function sealWebhookSecret(
  keyring: Keyring,
  dialect: AnyDialect,
  row: CredentialBinding,
  secret: string,
  field = 'webhook_secret',
): Promise<string> {
  const format = dialect.client.inboundWebhooks;
  if (!format) throw invalid(`${dialect.name} sends no customer webhooks: it takes no webhook secret.`, field);
  if (secret.length < 8 || secret.length > 255 || /\s/.test(secret)) {
    throw invalid('The webhook secret must be 8 to 255 characters without spaces (Stripe: whsec_…).', field);
  }
  // Standard Webhooks keys the HMAC with the base64 after whsec_.
  if (format === 'standard' && !/^(?:whsec_)?[A-Za-z0-9+/]{16,}={0,2}$/.test(secret)) {
    throw invalid('A Standard Webhooks secret is whsec_ followed by base64.', field);
  }
  return keyring.encrypt(secret, webhookSecretContext(row));
}

export const openWebhookSecret = (keyring: Keyring, row: CredentialBinding & { readonly webhook_secret: string }): Promise<string> =>
  keyring.decrypt(row.webhook_secret, webhookSecretContext(row));
