import { fromBase64, newSecretsKey, parseSecretsKey, toBase64Url } from '../auth/crypto.ts';
import type { UpstreamRepository } from '../store/index.ts';

// Upstream credentials are encrypted at rest with AES-GCM through Web Crypto (Node and Workers
// alike) under a 256-bit key: CUSTGATE_SECRETS_KEY, or outside production one the gateway
// generated and keeps in its database (as it keeps nothing secret in the source). Each ciphertext
// is bound (AES-GCM additional data) to its tenant, upstream id, dialect and base URL: whoever can
// write the database cannot point the credentials at a listener of theirs, or at another tenant.

/** `v2`: sealed with the full binding; `v1` (before issue #26): tenant and upstream id only. */
const versions = ['v1', 'v2'] as const;
type Version = (typeof versions)[number];
const current: Version = 'v2';

type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export class Keyring {
  readonly #load: () => Promise<Uint8Array>;
  #key: Promise<AesKey> | undefined;

  constructor(load: () => Promise<Uint8Array>) {
    this.#load = load;
  }

  #cryptoKey(): Promise<AesKey> {
    this.#key ??= this.#load()
      .then((raw) => crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']))
      .catch((error: unknown) => {
        this.#key = undefined;
        throw error;
      });
    return this.#key;
  }

  async encrypt(plaintext: string, context: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = new TextEncoder().encode(plaintext);
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) },
      await this.#cryptoKey(),
      data,
    );
    return `${current}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
  }

  /** The plaintext; throws when the key or the context is not the one it was sealed with. */
  async decrypt(sealed: string, context: string): Promise<string> {
    const [v, iv, body] = sealed.split('.');
    if (!versions.some((known) => known === v) || !iv || !body) throw new Error('not an encrypted credential');
    const opened = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64(iv) as Uint8Array<ArrayBuffer>, additionalData: new TextEncoder().encode(context) },
      await this.#cryptoKey(),
      fromBase64(body) as Uint8Array<ArrayBuffer>,
    );
    return new TextDecoder().decode(opened);
  }
}

export const missingKeyMessage =
  'CUSTGATE_SECRETS_KEY is required in production to encrypt and read upstream credentials (`openssl rand -base64 32`).';

/** Production without CUSTGATE_SECRETS_KEY: nothing can be sealed or opened (an API answers 503 naming it, runtime.ts). */
export class MissingSecretsKey extends Error {
  constructor() {
    super(missingKeyMessage);
    this.name = 'MissingSecretsKey';
  }
}

/**
 * The keyring for a gateway: the configured key, or outside production the one kept in the
 * database (generated on first use; every process of the deployment reads the same one).
 */
export function keyringFor(
  config: { readonly production: boolean; readonly secretsKey: string | undefined },
  repository: UpstreamRepository,
): Keyring {
  return new Keyring(async () => {
    if (config.secretsKey !== undefined) return parseSecretsKey(config.secretsKey);
    if (config.production) throw new MissingSecretsKey();
    return parseSecretsKey(await repository.keepKey('secrets', newSecretsKey(), new Date().toISOString()));
  });
}

/** What an upstream's credentials are bound to: changing any of these makes them unreadable. */
export interface CredentialBinding {
  readonly tenant_id: string;
  readonly id: string;
  readonly dialect: string;
  readonly base_url: string;
}

/** The additional data of a ciphertext: each part length-prefixed, so no two bindings encode alike. */
export const credentialContext = (row: CredentialBinding): string =>
  `custgate-upstream/v2;${[row.tenant_id, row.id, row.dialect, row.base_url].map((part) => `${part.length}:${part}`).join(';')}`;

const legacyContext = (row: CredentialBinding): string => `custgate-upstream:${row.tenant_id}:${row.id}`;

export const sealCredentials = (keyring: Keyring, row: CredentialBinding, plaintext: string): Promise<string> =>
  keyring.encrypt(plaintext, credentialContext(row));

/**
 * The plaintext of a row's credentials, and whether they were sealed in the old form (then the
 * caller re-seals them with the full binding). A `v2` ciphertext relabelled `v1` does not open:
 * its additional data was the full binding.
 */
export async function openCredentials(keyring: Keyring, row: CredentialBinding & { readonly credentials: string }) {
  const legacy = row.credentials.startsWith('v1.');
  const plaintext = await keyring.decrypt(row.credentials, legacy ? legacyContext(row) : credentialContext(row));
  return { plaintext, legacy };
}

/** The additional data of an upstream's webhook secret: the same binding, another purpose, so neither ciphertext opens as the other. */
export const webhookSecretContext = (row: CredentialBinding): string =>
  `custgate-upstream-webhook/v1;${[row.tenant_id, row.id, row.dialect, row.base_url].map((part) => `${part.length}:${part}`).join(';')}`;
