import { describe, expect, it } from 'vitest';
import { sha256Hex } from './crypto.ts';

const webCrypto = async (text: string) =>
  Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

describe('sha256Hex', () => {
  it('matches the standard vectors', async () => {
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes any text exactly as Web Crypto does (UTF-8, lone surrogates replaced)', async () => {
    for (const text of ['sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'Grüße, 世界 🚀', 'lone \ud800 surrogate', 'x'.repeat(1000)]) {
      expect(await sha256Hex(text)).toBe(await webCrypto(text));
    }
  });
});
