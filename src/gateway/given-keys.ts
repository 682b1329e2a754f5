import { sha256Hex } from '../auth/index.ts';
import type { AnyDialect, CredentialScheme } from '../contract/dialect.ts';
import type { Store } from '../store/index.ts';

// Credentials a team already holds, given to `tenant create` instead of generated, so a service's
// test configuration works unchanged. Each is checked against the pattern its dialect declares
// for its key kind (the same check a request's key passes before any lookup).

type KeyScheme = Extract<CredentialScheme, { type: 'api-key' }>;

export interface GivenCredentials {
  /** API key secrets by key kind (a dialect's `kind`, usually its name). */
  readonly keys?: Readonly<Record<string, string>>;
  /** The tenant's id (Zenskar's `organisation`, Bigcapital's `organization_id`), a UUID. */
  readonly tenantId?: string;
}

/** Dialects that take stored API keys, by key kind, with the scheme each declares. */
export function keySchemes(all: readonly AnyDialect[]): Map<string, { readonly dialect: AnyDialect; readonly scheme: KeyScheme }> {
  const found = new Map<string, { readonly dialect: AnyDialect; readonly scheme: KeyScheme }>();
  for (const dialect of all) {
    for (const scheme of dialect.auth.credentials) if (scheme.type === 'api-key') found.set(scheme.kind, { dialect, scheme });
  }
  return found;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Every given credential checked before anything is written: the pattern its dialect declares, not
 * already a key of any tenant, and the tenant id free. The message names the flag's dialect, never
 * the secret.
 */
export async function checkGiven(store: Store, given: GivenCredentials, livemode: boolean, all: readonly AnyDialect[]): Promise<void> {
  const schemes = keySchemes(all);
  for (const [kind, secret] of Object.entries(given.keys ?? {})) {
    const found = schemes.get(kind);
    if (!found) throw new Error(`no dialect takes API keys of kind ${kind} (${[...schemes.keys()].join(', ')} do)`);
    if (!found.scheme.pattern.test(secret)) {
      throw new Error(
        `the ${found.dialect.title} key does not have the shape ${found.dialect.name} keys have (${found.scheme.pattern.source})`,
      );
    }
    // A key that states its mode (`sk_test_…`, `pv_live_…`) must state the tenant's.
    const mode = /^[a-z]+_(test|live)_/.exec(secret)?.[1];
    if (mode !== undefined && (mode === 'live') !== livemode) {
      throw new Error(`the ${found.dialect.title} key is a ${mode}-mode key: ${livemode ? 'drop --live' : 'add --live'} for it`);
    }
    if (await store.findCredentialByHash(await sha256Hex(secret))) throw new Error(`the ${found.dialect.title} key is already in use`);
  }
  if (given.tenantId !== undefined) {
    if (!uuid.test(given.tenantId)) throw new Error(`the organisation must be a lower-case UUID: ${given.tenantId}`);
    if (await store.findTenant(given.tenantId)) throw new Error(`a tenant with id ${given.tenantId} already exists`);
  }
}
