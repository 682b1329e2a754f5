import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from './token-cache.ts';

// The verified-token cache answers for a token only while the token is current, per dialect,
// and never remembers a token that failed.

describe('VerifiedTokenCache', () => {
  const exp = 1_000; // seconds
  const verifier = (claims: Record<string, unknown> | undefined) => {
    const calls = { n: 0 };
    return {
      calls,
      verify: async () => {
        calls.n++;
        return claims && { tenantId: 't1', claims };
      },
    };
  };

  it('verifies a token once and answers from memory until its exp', async () => {
    const cache = new VerifiedTokenCache({ ttlMs: 10_000_000, size: 10 });
    const v = verifier({ sub: 'a', exp });
    expect(await cache.verify('t', 'connhex', 0, v.verify)).toEqual({ tenantId: 't1', claims: { sub: 'a', exp } });
    expect(await cache.verify('t', 'connhex', 999_999, v.verify)).toEqual({ tenantId: 't1', claims: { sub: 'a', exp } });
    expect(v.calls.n).toBe(1);
    // At exp the verifier is asked again (and jose would refuse the token now).
    const expired = verifier(undefined);
    expect(await cache.verify('t', 'connhex', 1_000_000, expired.verify)).toBeUndefined();
    expect(expired.calls.n).toBe(1);
  });

  it('keeps a token no longer than its ttl, asks again per dialect, and never keeps a failure', async () => {
    const cache = new VerifiedTokenCache({ ttlMs: 100, size: 10 });
    const v = verifier({ sub: 'a', exp });
    await cache.verify('t', 'connhex', 0, v.verify);
    await cache.verify('t', 'connhex', 100, v.verify);
    await cache.verify('t', 'bigcapital', 100, v.verify);
    expect(v.calls.n).toBe(3);
    const bad = verifier(undefined);
    await cache.verify('bad', 'connhex', 0, bad.verify);
    await cache.verify('bad', 'connhex', 0, bad.verify);
    expect(bad.calls.n).toBe(2);
  });

  it('holds at most `size` tokens, dropping the oldest', async () => {
    const cache = new VerifiedTokenCache({ ttlMs: 10_000, size: 2 });
    const v = verifier({ sub: 'a', exp });
    for (const t of ['a', 'b', 'c']) await cache.verify(t, 'connhex', 0, v.verify);
    await cache.verify('c', 'connhex', 0, v.verify);
    await cache.verify('b', 'connhex', 0, v.verify);
    expect(v.calls.n).toBe(3);
    await cache.verify('a', 'connhex', 0, v.verify);
    expect(v.calls.n).toBe(4);
  });
});
