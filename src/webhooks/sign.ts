import type { EndpointRow } from './tables.ts';

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

// --- verifying what a provider sends in (POST /gateway/v1/upstreams/{id}/webhook)

/** How far a signed timestamp may be from now: both Stripe's and Standard Webhooks' libraries default to 5 minutes. */
export const defaultToleranceSeconds = 300;

function fromHex(text: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(text)) return undefined;
  return Uint8Array.from(text.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

// crypto.subtle.verify compares in constant time, so no candidate leaks how much of it matched.
async function anyMatches(key: Uint8Array, message: string, candidates: readonly (Uint8Array | undefined)[]): Promise<boolean> {
  const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const data = encoder.encode(message);
  let ok = false;
  for (const sig of candidates) {
    if (sig && (await crypto.subtle.verify('HMAC', k, sig as Uint8Array<ArrayBuffer>, data))) ok = true;
  }
  return ok;
}

const outside = (timestamp: number, nowSeconds: number, tolerance: number) =>
  !Number.isSafeInteger(timestamp) || Math.abs(nowSeconds - timestamp) > tolerance;

/**
 * Checks `Stripe-Signature` as `stripe.webhooks.constructEvent` does: any v1 matching, the
 * timestamp within the tolerance. Returns the signed timestamp, or why the header is refused.
 */
export async function verifyStripeSignature(
  secret: string,
  header: string | undefined,
  payload: string,
  nowSeconds: number,
  tolerance = defaultToleranceSeconds,
): Promise<{ readonly timestamp: number } | { readonly refused: string }> {
  if (!header) return { refused: 'No Stripe-Signature header.' };
  const pairs = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(pairs.find(([k]) => k === 't')?.[1]);
  const v1 = pairs.filter(([k]) => k === 'v1').map(([, value]) => fromHex(value ?? ''));
  if (v1.length === 0 || !Number.isFinite(timestamp)) return { refused: 'The Stripe-Signature header has no t= and v1= parts.' };
  if (!(await anyMatches(encoder.encode(secret), `${timestamp}.${payload}`, v1))) return { refused: 'No signature matches the payload.' };
  if (outside(timestamp, nowSeconds, tolerance)) return { refused: 'The signed timestamp is outside the tolerance.' };
  return { timestamp };
}

/** Checks the Standard Webhooks headers as the `standardwebhooks` package's `verify` does. */
export async function verifyStandardSignature(
  secret: string,
  headers: { readonly id: string | undefined; readonly timestamp: string | undefined; readonly signature: string | undefined },
  payload: string,
  nowSeconds: number,
  tolerance = defaultToleranceSeconds,
): Promise<{ readonly timestamp: number } | { readonly refused: string }> {
  const { id, signature } = headers;
  const timestamp = Number(headers.timestamp);
  if (!id || !signature || !/^\d{1,12}$/.test(headers.timestamp ?? '')) {
    return { refused: 'The webhook-id, webhook-timestamp and webhook-signature headers are required.' };
  }
  const key = fromBase64(secret.replace(/^whsec_/, ''));
  if (!key || key.length === 0) return { refused: 'No signature matches the payload.' };
  const v1 = signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => fromBase64(part.slice(3)));
  if (!(await anyMatches(key, `${id}.${timestamp}.${payload}`, v1))) return { refused: 'No signature matches the payload.' };
  if (outside(timestamp, nowSeconds, tolerance)) return { refused: 'The signed timestamp is outside the tolerance.' };
  return { timestamp };
}

/** The key a sealed webhook secret is bound to (AES-GCM additional data). */
export const secretContext = (tenantId: string, endpointId: string): string => `custgate-webhook:${tenantId}:${endpointId}`;

/** A request body and headers for one delivery: what the receiver verifies. */
export async function signedDelivery(
  endpoint: EndpointRow,
  secrets: readonly string[],
  body: Record<string, unknown>,
  id: string,
  now: Date,
): Promise<{ readonly payload: string; readonly headers: Record<string, string> }> {
  const payload = JSON.stringify(body);
  const t = Math.floor(now.getTime() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'custgate-webhooks' };
  if (endpoint.format === 'stripe') headers['stripe-signature'] = await stripeSignature(secrets, t, payload);
  else {
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(t);
    headers['webhook-signature'] = await standardSignature(secrets, id, t, payload);
  }
  return { payload, headers };
}
