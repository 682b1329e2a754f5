import { JwtService, randomHex, sha256Hex } from '../auth/index.ts';
import type { GatewayConfig } from '../config.ts';
import { randomBase62 } from '../core/index.ts';
import type { AnyDialect, CredentialMinter, IssuedCredentials, TokenOptions } from '../contract/dialect.ts';
import { type Store, UniqueViolation } from '../store/index.ts';
import type { TenantRow } from '../store/store.ts';
import { checkGiven, type GivenCredentials } from './given-keys.ts';

export interface CreatedTenant {
  readonly tenant: { readonly id: string; readonly name: string };
  /** Per dialect, the secrets as issued: shown once, stored only as hashes. */
  readonly credentials: Readonly<Record<string, IssuedCredentials>>;
}

export interface CreateTenantOptions {
  readonly livemode?: boolean;
  readonly now?: Date;
  /** Credentials to use instead of generating them (checked by checkGiven first). */
  readonly given?: GivenCredentials;
}

/** A new tenant's options: every dialect served issues it credentials. */
export interface NewTenantOptions extends CreateTenantOptions {
  readonly dialects: readonly AnyDialect[];
}

type Tenant = Pick<TenantRow, 'id' | 'name'>;

/** Tenant names are unique in a database, so a name given to a command names one tenant. */
export class TenantNameTaken extends Error {
  readonly existing: TenantRow;
  constructor(existing: TenantRow) {
    super(
      `a tenant named "${existing.name}" exists already (${existing.id}, created ${existing.created_at}): tenant names are unique; choose another name, or use that tenant (custgate tenant list)`,
    );
    this.name = 'TenantNameTaken';
    this.existing = existing;
  }
}

/**
 * The minter a dialect issues a tenant's credentials through: API keys stored hashed, JWTs signed.
 * With apiKeys false it only signs JWTs (token mint).
 */
function minter(
  store: Store,
  signer: { readonly jwt: JwtService; readonly key: Uint8Array },
  tenant: Tenant,
  dialect: string,
  options: CreateTenantOptions & { readonly apiKeys?: boolean },
): CredentialMinter {
  const now = (options.now ?? new Date()).toISOString();
  return {
    tenantId: tenant.id,
    tenantName: tenant.name,
    livemode: options.livemode ?? false,
    async apiKey(kind, prefix, keyOptions = {}) {
      if (options.apiKeys === false) throw new Error('minting a token issues no API key');
      const length = keyOptions.length ?? 48;
      const secret = options.given?.keys?.[kind] ?? prefix + (keyOptions.alphabet === 'hex' ? randomHex(length) : randomBase62(length));
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
    jwt: (claims, jwtOptions) => signer.jwt.sign(dialect, tenant.id, signer.key, claims, jwtOptions),
  };
}

/** The tenant's JWT signing key (derived from CUSTGATE_JWT_SECRET, or its own in the database). */
async function signerFor(store: Store, config: GatewayConfig, tenant: Tenant, options: CreateTenantOptions) {
  const jwt = new JwtService(config.jwt, store);
  return { jwt, key: await jwt.ensureKey(tenant.id, (options.now ?? new Date()).toISOString()) };
}

/** Creates a tenant and has every dialect in the registry issue its credentials for it. */
export async function createTenant(store: Store, config: GatewayConfig, name: string, options: NewTenantOptions): Promise<CreatedTenant> {
  const now = (options.now ?? new Date()).toISOString();
  if (options.given) await checkGiven(store, options.given, options.livemode ?? false, options.dialects);
  const taken = async () => {
    const [existing] = await store.findTenantsByName(name);
    return existing && new TenantNameTaken(existing);
  };
  const before = await taken();
  if (before) throw before;
  const tenant = { id: options.given?.tenantId ?? crypto.randomUUID(), name };
  try {
    await store.insertTenant({ ...tenant, created_at: now });
  } catch (error) {
    // Another process made a tenant of that name in between: the unique index (migration 0017) says so.
    throw (error instanceof UniqueViolation && (await taken())) || error;
  }
  const jwt = new JwtService(config.jwt, store);
  const signer = { jwt, key: await jwt.ensureKey(tenant.id, now, true) };
  const credentials: Record<string, IssuedCredentials> = {};
  for (const dialect of options.dialects) {
    credentials[dialect.name] = await dialect.auth.issueCredentials(minter(store, signer, tenant, dialect.name, options));
  }
  return { tenant, credentials };
}

/** Everything a dialect issues, issued again for an existing tenant (rotation): the old ones stay until revoked. */
export async function reissueCredentials(
  store: Store,
  config: GatewayConfig,
  tenant: Tenant,
  dialect: AnyDialect,
  options: CreateTenantOptions = {},
): Promise<IssuedCredentials> {
  return dialect.auth.issueCredentials(minter(store, await signerFor(store, config, tenant, options), tenant, dialect.name, options));
}

/** A fresh JWT for a dialect that takes one; nothing is stored (a JWT lives until it expires). */
export async function mintToken(
  store: Store,
  config: GatewayConfig,
  tenant: Tenant,
  dialect: AnyDialect,
  options: TokenOptions & { readonly livemode?: boolean },
): Promise<string> {
  if (!dialect.auth.issueToken) throw new Error(`${dialect.name} does not authenticate with tokens`);
  const signer = await signerFor(store, config, tenant, {});
  return dialect.auth.issueToken(
    minter(store, signer, tenant, dialect.name, { livemode: options.livemode ?? false, apiKeys: false }),
    options,
  );
}
