import { jwtVerify, SignJWT } from 'jose';

export interface JwtConfig {
  /** HS256 signing secret, at least 32 bytes. */
  readonly secret: string;
  readonly issuer: string;
  /** Each dialect's tokens carry its own audience, so a token for one is refused by another. */
  readonly audiences: Readonly<Record<string, string>>;
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
  async verify(token: string, dialect: string): Promise<Record<string, unknown> | undefined> {
    const audience = this.#config.audiences[dialect];
    if (token.length > 8192 || audience === undefined) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: [algorithm],
        issuer: this.#config.issuer,
        audience,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }

  async sign(
    dialect: string,
    claims: Readonly<Record<string, unknown>>,
    options: { readonly subject: string; readonly ttlSeconds: number },
  ): Promise<string> {
    const audience = this.#config.audiences[dialect];
    if (audience === undefined) throw new Error(`no JWT audience for dialect ${dialect}`);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
      .setIssuer(this.#config.issuer)
      .setAudience(audience)
      .setSubject(options.subject)
      .setIssuedAt()
      .setExpirationTime(`${options.ttlSeconds}s`)
      .sign(this.#key);
  }
}
