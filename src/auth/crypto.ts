// Web Crypto, so the same code runs on Node and on Workers; where the runtime offers node:crypto
// without an import (process.getBuiltinModule), hashing uses it.

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

type NodeCrypto = {
  hash?: (algorithm: 'sha256', text: string, encoding: 'hex') => string;
  createHash?: (algorithm: 'sha256') => { update(text: string, encoding: 'utf8'): { digest(encoding: 'hex'): string } };
};

// Every API-key request hashes its key. crypto.subtle.digest is asynchronous on Node (a trip
// through the thread pool, ~20x the cost of the hash itself); node:crypto is synchronous, and its
// one-shot `hash` (Node 20.12+, https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding)
// costs a third of `createHash().update().digest()`, which builds a Hash object per call. Looked up
// at run time, not imported, so bundles for other runtimes are unchanged.
const nodeSha256: ((text: string) => string) | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  const { hash, createHash } = mod ?? {};
  if (typeof hash === 'function') return (text) => hash('sha256', text, 'hex');
  if (typeof createHash === 'function') return (text) => createHash('sha256').update(text, 'utf8').digest('hex');
  return undefined;
})();

export async function sha256Hex(text: string): Promise<string> {
  if (nodeSha256) return nodeSha256(text);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

/** Compares two strings in time that depends only on their length, not on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function randomHex(length: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)))).slice(0, length);
}

// CUSTGATE_SECRETS_KEY is read by the configuration at start and by the upstream keyring, so its
// parsing sits here, below both.

/** Bytes as a binary string, in slices: spread as one call's arguments, ~120 KB overflowed the stack. */
function binaryOf(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

export const toBase64Url = (bytes: Uint8Array): string =>
  btoa(binaryOf(bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

export function fromBase64(text: string): Uint8Array {
  const normal = text.replaceAll('-', '+').replaceAll('_', '/');
  const binary = atob(normal + '='.repeat((4 - (normal.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** 32 bytes as base64 (or base64url), or as 64 hex digits; anything else is refused. */
export function parseSecretsKey(text: string): Uint8Array {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Uint8Array.from(trimmed.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = fromBase64(trimmed);
    if (bytes.length === 32) return bytes;
  }
  throw new Error('CUSTGATE_SECRETS_KEY must be 32 bytes, as base64 (44 characters) or hex (64 digits): `openssl rand -base64 32`');
}

/** A fresh key in the form CUSTGATE_SECRETS_KEY takes. */
export const newSecretsKey = (): string => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
