import { jwtVerify, SignJWT } from 'jose';
import type { DialectName } from '../dialect.ts';

export interface JwtConfig {
  /** HS256 signing secret, at least 32 bytes. */
  readonly secret: string;
  readonly issuer: string;
  /** Each dialect's tokens carry its own audience, so a token for one is refused by another. */
  readonly audiences: Readonly<Record<DialectName, string>>;
}

// One algorithm, pinned: a token that names any other (including `none`) is refused by jose.
const algorithm = 'HS256';

export class JwtService {
  readonly #key: Uint8Array;
  readonly #config: JwtConfig;

  constructor(config: JwtConfig) {
    if (new TextEncoder().encode(config.secret).length < 32) {
      throw new Error('CUSTGATE_JWT_SECRET must be at least 32 bytes');
    }
    this.#key = new TextEncoder().encode(config.secret);
    this.#config = config;
  }

  /** The verified claims, or undefined for any token that is not ours, valid and current. */
  async verify(token: string, dialect: DialectName): Promise<Record<string, unknown> | undefined> {
    if (token.length > 8192) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: [algorithm],
        issuer: this.#config.issuer,
        audience: this.#config.audiences[dialect],
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }

  async sign(
    dialect: DialectName,
    claims: Readonly<Record<string, unknown>>,
    options: { readonly subject: string; readonly ttlSeconds: number },
  ): Promise<string> {
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
      .setIssuer(this.#config.issuer)
      .setAudience(this.#config.audiences[dialect])
      .setSubject(options.subject)
      .setIssuedAt()
      .setExpirationTime(`${options.ttlSeconds}s`)
      .sign(this.#key);
  }
}
