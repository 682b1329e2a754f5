import { decodeJwt } from 'jose';
import { type JwtConfig, readCredential } from '../auth/index.ts';
import type { AnyDialect, CredentialScheme, RequestView } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { dialectOfCredential } from './stray.ts';

// What a refused credential was expected to be, for the developer reading the error: told from the
// request's own shape only (which dialect's scheme its credential fits, which header is missing,
// the `exp` the token itself carries), never from a lookup, so a hint never says whether a key or a
// tenant exists. A credential of the right shape that does not verify gets no hint.

const title = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function describeScheme(scheme: CredentialScheme): string {
  if (scheme.type === 'jwt') return '`Authorization: Bearer <JWT>`';
  if ('header' in scheme.in) {
    const companions = scheme.in.with ?? [];
    return `the \`${scheme.in.header}\` header${companions.map((h) => ` with \`${h}\``).join('')}`;
  }
  const prefix = `${scheme.prefix ?? ''}…`;
  return scheme.in.authorization
    .map((auth) => (auth === 'basic' ? `HTTP Basic with ${prefix} as the user` : `\`Authorization: Bearer ${prefix}\``))
    .join(' or ');
}

/** "Zenskar takes the `x-api-key` header with `organisation`." */
const takes = (dialect: AnyDialect) => `${title(dialect.name)} takes ${dialect.auth.credentials.map(describeScheme).join(', or ')}.`;

/** The companion headers a key in its own header came without. */
function missingCompanions(dialect: AnyDialect, req: RequestView): string[] {
  for (const scheme of dialect.auth.credentials) {
    if (scheme.type !== 'api-key' || !('header' in scheme.in) || !req.header(scheme.in.header)?.trim()) continue;
    return (scheme.in.with ?? []).filter((h) => !req.header(h)?.trim());
  }
  return [];
}

function expiredAt(token: string): Date | undefined {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** The hint for a refused credential, or undefined where the request's shape says nothing more. */
export function authHint(
  dialect: AnyDialect,
  all: readonly AnyDialect[],
  req: RequestView,
  jwt: Pick<JwtConfig, 'audiencePrefix'>,
  now: Date,
): string | undefined {
  const claim = readCredential(dialect.auth.credentials, req);
  const other = dialectOfCredential(
    all.filter((d) => d !== dialect),
    req,
    jwt,
  );
  // A token of the right shape: another dialect's (its audience says so), or expired.
  if (!isGatewayError(claim) && claim.type === 'jwt') {
    const expired = expiredAt(claim.token);
    if (expired && expired <= now)
      return `The token expired at ${expired.toISOString()}; mint a new one (custgate token mint <tenant> --dialect ${dialect.name}).`;
    if (other && dialectOfCredential([dialect, other], req, jwt) === other)
      return `The token was issued for ${title(other.name)} (its base path is ${other.routes.prefix}); ${takes(dialect)}`;
    return undefined;
  }
  if (!isGatewayError(claim)) return undefined;
  const missing = missingCompanions(dialect, req);
  if (missing.length > 0) return `The ${missing.map((h) => `\`${h}\``).join(' and ')} header is missing: ${takes(dialect)}`;
  if (other) return `The credential sent is a ${title(other.name)} one (its base path is ${other.routes.prefix}); ${takes(dialect)}`;
  return takes(dialect);
}

/** The error with its hint, for an authentication failure. */
export function hinted(error: unknown, hint: () => string | undefined): unknown {
  if (!isGatewayError(error) || error.code !== 'unauthenticated' || error.details.hint) return error;
  const text = hint();
  return text ? new GatewayError(error.code, error.message, { ...error.details, hint: text }) : error;
}
