import { decodeJwt } from 'jose';
import { audienceFor, type JwtConfig, readCredential } from '../auth/index.ts';
import type { AnyDialect, RequestView } from '../contract/dialect.ts';
import { isGatewayError } from '../contract/errors.ts';

// A request on a path no dialect serves still names a dialect by its credential's shape: its
// 404 then comes in that provider's envelope, which its SDK can read. Only the shape is looked at
// (no lookup, no signature check), so the answer says nothing about whether the credential exists.

/** The audience a token says it is for, unverified: it only picks an error envelope. */
function audienceOf(token: string): string | undefined {
  try {
    const aud = decodeJwt(token).aud;
    return typeof aud === 'string' ? aud : Array.isArray(aud) ? aud[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The dialect whose credential scheme the request's credential fits, if any. */
export function dialectOfCredential(
  dialects: readonly AnyDialect[],
  req: RequestView,
  jwt: Pick<JwtConfig, 'audiencePrefix'>,
): AnyDialect | undefined {
  const tokens: { readonly dialect: AnyDialect; readonly aud: string | undefined }[] = [];
  for (const dialect of dialects) {
    const claim = readCredential(dialect.auth.credentials, req);
    if (isGatewayError(claim)) continue;
    // A key's prefix or header names its dialect; a token names it in its audience.
    if (claim.type === 'api-key') return dialect;
    tokens.push({ dialect, aud: audienceOf(claim.token) });
  }
  return (tokens.find((t) => t.aud !== undefined && audienceFor(jwt, t.dialect.name) === t.aud) ?? tokens[0])?.dialect;
}

/**
 * The dialect whose API a root path sits under (`/v1/…`, `/api/v1/…`, `/api/…`), for a request
 * no route took and no credential names: `stripe.customers.update('..')` reaches `POST /v1/`
 * once its client resolves the dot segment, and that SDK reads only its provider's envelope.
 * The longest base wins (`/api/v1` is Meteroid's, the rest of `/api` Bigcapital's); a base two
 * dialects share (`/customers`' parent is the root) names none.
 */
export function dialectOfPath(dialects: readonly AnyDialect[], path: string): AnyDialect | undefined {
  let best: { readonly dialect: AnyDialect; readonly base: string } | undefined;
  for (const dialect of dialects) {
    if (dialect.routes.root !== true) continue;
    const base = dialect.routes.collection.slice(0, dialect.routes.collection.lastIndexOf('/'));
    if (base === '' || (path !== base && !path.startsWith(`${base}/`))) continue;
    if (!best || base.length > best.base.length) best = { dialect, base };
  }
  return best?.dialect;
}
