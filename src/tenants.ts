import { dialects } from '../dialects/index.ts';
import { JwtService, randomHex, sha256Hex } from './auth/index.ts';
import type { GatewayConfig } from './config.ts';
import { randomBase62 } from './core/index.ts';
import type { CredentialMinter, DialectName, IssuedCredentials } from './dialect.ts';
import type { Store } from './store/index.ts';

export interface CreatedTenant {
  readonly tenant: { readonly id: string; readonly name: string };
  /** Per dialect, the secrets as issued: shown once, stored only as hashes. */
  readonly credentials: Partial<Record<DialectName, IssuedCredentials>>;
}

export interface CreateTenantOptions {
  readonly livemode?: boolean;
  readonly now?: Date;
}

/** Creates a tenant and has every dialect in the registry issue its credentials for it. */
export async function createTenant(
  store: Store,
  config: GatewayConfig,
  name: string,
  options: CreateTenantOptions = {},
): Promise<CreatedTenant> {
  const now = (options.now ?? new Date()).toISOString();
  const tenant = { id: crypto.randomUUID(), name };
  await store.insertTenant({ ...tenant, created_at: now });
  const jwt = new JwtService(config.jwt, store);
  const signingKey = await jwt.ensureKey(tenant.id, now, true);
  const credentials: Partial<Record<DialectName, IssuedCredentials>> = {};
  for (const [dialectName, dialect] of Object.entries(dialects)) {
    const mint: CredentialMinter = {
      tenantId: tenant.id,
      tenantName: name,
      livemode: options.livemode ?? false,
      async apiKey(kind, prefix, keyOptions = {}) {
        const length = keyOptions.length ?? 48;
        const secret = prefix + (keyOptions.alphabet === 'hex' ? randomHex(length) : randomBase62(length));
        await store.insertCredential({
          id: `cred_${randomBase62(16)}`,
          tenant_id: tenant.id,
          kind,
          secret_hash: await sha256Hex(secret),
          prefix: secret.slice(0, prefix.length + 4),
          livemode: (keyOptions.livemode ?? options.livemode ?? false) ? 1 : 0,
          created_at: now,
          revoked_at: null,
        });
        return secret;
      },
      jwt: (claims, jwtOptions) => jwt.sign(dialectName as DialectName, tenant.id, signingKey, claims, jwtOptions),
    };
    credentials[dialectName as DialectName] = await dialect.issueCredentials(mint);
  }
  return { tenant, credentials };
}
