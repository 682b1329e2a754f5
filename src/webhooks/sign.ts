// Signatures over a delivery's exact bytes, with Web Crypto so the same code signs on Node and in
// Workers. The official verifiers are the reference: Stripe's `webhooks.constructEvent` (HMAC-SHA256
// of `t.payload` keyed by the whole `whsec_…` string, hex, `Stripe-Signature: t=…,v1=…`, several v1
// while a secret rolls; https://docs.stripe.com/webhooks#verify-manually) and the Standard Webhooks
// specification (HMAC-SHA256 of `id.timestamp.payload` keyed by the base64 after `whsec_`, base64,
// `webhook-signature: v1,<sig>` space-separated; https://www.standardwebhooks.com/).

const encoder = new TextEncoder();

async function hmac(key: Uint8Array, message: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, encoder.encode(message)));
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const base64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));

/** A new signing secret: `whsec_` and 24 random bytes in base64, which both formats can key with. */
export const newWebhookSecret = (): string => `whsec_${base64(crypto.getRandomValues(new Uint8Array(24)))}`;

export async function stripeSignature(secrets: readonly string[], timestamp: number, payload: string): Promise<string> {
  const parts = [`t=${timestamp}`];
  for (const secret of secrets) parts.push(`v1=${hex(await hmac(encoder.encode(secret), `${timestamp}.${payload}`))}`);
  return parts.join(',');
}

export async function standardSignature(secrets: readonly string[], id: string, timestamp: number, payload: string): Promise<string> {
  const parts: string[] = [];
  for (const secret of secrets) {
    const key = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0));
    parts.push(`v1,${base64(await hmac(key, `${id}.${timestamp}.${payload}`))}`);
  }
  return parts.join(' ');
}
