import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { CredentialScheme, RequestView } from '../contract/dialect.ts';
import { isGatewayError } from '../contract/errors.ts';
import { readCredential } from './credential.ts';

const view = (headers: Record<string, string>): RequestView => ({
  method: 'GET',
  header: (name) => headers[name],
});

const keyAnywhere = [
  { type: 'api-key', kind: 'k', in: { authorization: ['basic', 'bearer'] }, prefix: 'sk_', pattern: /^sk_test_[a-z0-9]+$/ },
] as const satisfies readonly CredentialScheme[];
const keyOrJwt = [
  { type: 'api-key', kind: 'bc', in: { authorization: ['bearer'] }, prefix: 'bc_', pattern: /^bc_[0-9a-f]{4}$/ },
  { type: 'jwt', claims: v.object({ tenant: v.string() }) },
] as const satisfies readonly CredentialScheme[];
const headerPair = [
  { type: 'api-key', kind: 'z', in: { header: 'x-api-key', with: ['organisation'] }, pattern: /^[\x21-\x7e]{1,512}$/ },
] as const satisfies readonly CredentialScheme[];

/** What the reader made of the headers: the claim, or the refusal's reason. */
function read(schemes: readonly CredentialScheme[], headers: Record<string, string>) {
  const result = readCredential(schemes, view(headers));
  return isGatewayError(result) ? { refused: result.details.reason, code: result.code } : result;
}

const basic = (user: string) => `Basic ${btoa(`${user}:`)}`;

describe('readCredential: one reader for every dialect’s schemes', () => {
  it('reads a key from Bearer or Basic (the user name), in either case of the scheme', () => {
    const claim = { type: 'api-key', kind: 'k', secret: 'sk_test_abc' };
    expect(read(keyAnywhere, { authorization: 'Bearer sk_test_abc' })).toEqual(claim);
    expect(read(keyAnywhere, { authorization: `  bearer   sk_test_abc ` })).toEqual(claim);
    expect(read(keyAnywhere, { authorization: basic('sk_test_abc') })).toEqual(claim);
    expect(read(keyAnywhere, { authorization: `Basic ${btoa('sk_test_abc')}` })).toEqual(claim);
  });

  it('says missing when there is no credential at all', () => {
    for (const headers of [{}, { authorization: '' }, { authorization: '   ' }, { authorization: 'Bearer' }]) {
      expect(read(keyAnywhere, headers)).toEqual({ refused: 'missing', code: 'unauthenticated' });
    }
    expect(read(headerPair, {})).toMatchObject({ refused: 'missing' });
    // A key without the header that must accompany it does not meet the requirement at all.
    expect(read(headerPair, { 'x-api-key': 'zsk_1' })).toMatchObject({ refused: 'missing' });
    expect(read(headerPair, { 'x-api-key': 'zsk_1', organisation: ' ' })).toMatchObject({ refused: 'missing' });
  });

  it('refuses as invalid anything after the token, in Bearer and in Basic', () => {
    expect(read(keyAnywhere, { authorization: 'Bearer sk_test_abc trailing-garbage' })).toMatchObject({ refused: 'invalid' });
    expect(read(keyAnywhere, { authorization: `${basic('sk_test_abc')} extra` })).toMatchObject({ refused: 'invalid' });
    expect(read(keyOrJwt, { authorization: 'Bearer a.b.c d' })).toMatchObject({ refused: 'invalid' });
  });

  it('refuses as invalid a key of the wrong shape, a scheme not taken, or undecodable Basic', () => {
    for (const authorization of ['Bearer sk_live_abc', 'Bearer pv_test_abc', 'Token sk_test_abc', 'Basic %%%', basic('')]) {
      expect(read(keyAnywhere, { authorization }), authorization).toMatchObject({ refused: 'invalid' });
    }
    expect(read(keyOrJwt, { authorization: basic('bc_abcd') })).toMatchObject({ refused: 'invalid' });
    expect(read(headerPair, { 'x-api-key': 'has space', organisation: 'o' })).toMatchObject({ refused: 'invalid' });
  });

  it('tells a prefixed key from a JWT in the same Bearer header, and hands on the claims schema', () => {
    expect(read(keyOrJwt, { authorization: 'Bearer bc_abcd' })).toEqual({ type: 'api-key', kind: 'bc', secret: 'bc_abcd' });
    expect(read(keyOrJwt, { authorization: 'Bearer bc_abcz' })).toMatchObject({ refused: 'invalid' });
    const jwt = read(keyOrJwt, { authorization: 'Bearer aaa.bbb.ccc' });
    expect(jwt).toMatchObject({ type: 'jwt', token: 'aaa.bbb.ccc' });
    expect('claims' in jwt && jwt.claims).toBe(keyOrJwt[1].claims);
    expect(read(keyOrJwt, { authorization: 'Bearer not-a-token' })).toMatchObject({ refused: 'invalid' });
  });

  it('reads a key from its own header, trimmed, when its companions are there', () => {
    expect(read(headerPair, { 'x-api-key': ' zsk_1 ', organisation: 'org' })).toEqual({ type: 'api-key', kind: 'z', secret: 'zsk_1' });
  });
});
